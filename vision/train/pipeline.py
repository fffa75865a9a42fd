"""Generate -> train -> calibrate -> export -> measure the exported model -> write the card."""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from pydantic import BaseModel
from rich.console import Console

from vision.classifier import OnnxClassifier, softmax
from vision.model_card import LABELS, ModelCard, Normalisation, card_path, sha256_file
from vision.preprocess import normalise
from vision.train.assess import calibrate_ood, heldout, update_card
from vision.train.calibrate import choose_abstain, fit_temperature
from vision.train.config import TrainConfig
from vision.train.data import outlier_split, real_split, synth_split
from vision.train.fit import EpochLog
from vision.train.metrics import summarise


class TrainResult(BaseModel):
    model_path: Path
    card: ModelCard
    history: list[EpochLog]
    seconds: float


def train(cfg: TrainConfig, console: Console | None = None) -> TrainResult:
    """Run the whole pipeline; writes `<out_dir>/model.onnx` and `<out_dir>/model.json`."""
    import torch

    from vision.train.fit import fit, predict_logits

    console = console or Console(stderr=True)
    started = time.perf_counter()
    torch.set_num_threads(cfg.threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    train_set, val_set, test_set = _splits(cfg)
    norm = _normalisation(cfg, train_set[0])
    torch.manual_seed(cfg.seed)
    net = _build(cfg)
    history = fit(net, train_set, val_set, cfg, norm, console)

    val_logits = predict_logits(net, val_set[0], norm, cfg.batch_size * 4)
    temperature = fit_temperature(val_logits, val_set[1])
    abstain = choose_abstain(val_logits, val_set[1], temperature, cfg.abstain_target)
    model_path = Path(cfg.out_dir) / "model.onnx"
    model_path.parent.mkdir(parents=True, exist_ok=True)
    _export(net, model_path, cfg, train_set, norm)
    card = _card(cfg, net, model_path, norm, temperature, abstain, test_set)
    card.save(card_path(model_path))
    console.print("calibrating the out-of-distribution threshold")
    card = update_card(model_path, ood=calibrate_ood(model_path, card, cfg))
    card = update_card(model_path, heldout=heldout(model_path, cfg, console))
    OnnxClassifier.load(model_path)  # the card must describe the file: fail here, not at the gate
    return TrainResult(model_path=model_path, card=card, history=history, seconds=time.perf_counter() - started)


def _build(cfg: TrainConfig) -> object:
    from vision.train.net import build_lite0, build_net, freeze_lite0

    net = build_net(len(LABELS), cfg.width) if cfg.arch != "lite0" else build_lite0(len(LABELS))
    if cfg.arch == "lite0":
        freeze_lite0(net, cfg.freeze_blocks)
    if cfg.init_from is not None:   # fine-tuning: the model in service, BatchNorm kept as loaded
        from vision.train.finetune import freeze_batchnorm, load_onnx_weights

        load_onnx_weights(net, cfg.init_from)
        freeze_batchnorm(net)
    return net


def _normalisation(cfg: TrainConfig, x: np.ndarray) -> Normalisation:
    from vision.train.net import LITE0_NORM

    if cfg.arch == "lite0":  # the pretrained weights expect their own input scaling
        return Normalisation(mean=LITE0_NORM[0], std=LITE0_NORM[1])
    return _channel_stats(x)


def _splits(cfg: TrainConfig) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Train, validation and test sets: same generator, three independent seeds."""

    def split(n: int, seed: int, name: str, oversample: dict[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        key = f"{cfg.variation}-{seed}-{n}-{cfg.gen_size}-{cfg.input_size}-{sorted((oversample or {}).items())}"
        return _cached(cfg, key, lambda: synth_split(
            n, seed, cfg.gen_size, cfg.input_size, oversample=oversample, workers=cfg.workers,
            description=name, show_progress=cfg.show_progress, variation=cfg.variation,
        ))

    train_set = split(cfg.n_per_label, cfg.seed, "train set", cfg.oversample)
    val_set = split(cfg.val_per_label, cfg.val_seed, "validation set")
    if cfg.real_per_label:
        # Validation gets other crops of the same train-series photos: the abstain threshold and
        # temperature are then chosen on real texture too, never on the frozen validation series.
        train_set = _concat(train_set, _real(cfg, cfg.real_per_label, cfg.seed))
        val_set = _concat(val_set, _real(cfg, max(2, cfg.real_per_label // 4), cfg.val_seed))
    if cfg.plant_data is not None:
        from vision.train.finetune import plant_split

        train_set = _concat(train_set, plant_split(cfg.plant_data, cfg.input_size, cfg.plant_repeat))
    if cfg.outlier_per_kind:
        key = f"outlier-{cfg.outlier_seed}-{cfg.outlier_per_kind}-{cfg.gen_size}-{cfg.input_size}"
        train_set = _concat(train_set, _cached(cfg, key, lambda: outlier_split(
            cfg.outlier_per_kind, cfg.outlier_seed, cfg.gen_size, cfg.input_size)))
    return train_set, val_set, split(cfg.test_per_label, cfg.test_seed, "test set")


def _real(cfg: TrainConfig, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    key = f"real-{cfg.variation}-{seed}-{n}-{cfg.gen_size}-{cfg.input_size}"
    return _cached(cfg, key, lambda: real_split(n, seed, cfg.gen_size, cfg.input_size, cfg.variation))


def _cached(
    cfg: TrainConfig, key: str, make: Callable[[], tuple[np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray]:
    """`make()`, kept in `cfg.data_cache` when set: same key, same generator code, same images."""
    cached = Path(cfg.data_cache) / f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz" if cfg.data_cache else None
    if cached is not None and cached.is_file():
        with np.load(cached) as data:
            return data["x"], data["y"]
    x, y = make()
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cached, x=x, y=y)
    return x, y


def _concat(*sets: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    return np.concatenate([s[0] for s in sets]), np.concatenate([s[1] for s in sets])


def _channel_stats(x: np.ndarray) -> Normalisation:
    """Per-channel mean/std of the training pixels, rounded so the card stays readable."""
    sample = x[:: max(1, len(x) // 2000)].reshape(-1, 3).astype(np.float64) / 255.0
    mean = tuple(round(float(v), 4) for v in sample.mean(0))
    std = tuple(round(max(float(v), 1e-3), 4) for v in sample.std(0))
    return Normalisation(mean=mean, std=std)  # type: ignore[arg-type]


def _export(
    net: object, model_path: Path, cfg: TrainConfig, train_set: tuple[np.ndarray, np.ndarray], norm: Normalisation
) -> None:
    """Fit the Mahalanobis OOD head on (un-augmented) training features, export both outputs."""
    from vision.train.export import export_onnx
    from vision.train.ood import features, fit_mahalanobis, lite0_taps, split, tapped, with_ood

    x, y = train_set
    x, y = x[y >= 0], y[y >= 0]  # class means of the labelled images only, not the outliers
    pick = np.random.default_rng(cfg.seed).permutation(len(x))[:4000]
    body = tapped(lite0_taps(net, cfg.ood_tap)) if cfg.ood_tap else split(net)[0]
    feats = features(body, x[pick], norm, cfg.batch_size * 4)
    means, whiten = fit_mahalanobis(feats, y[pick], len(LABELS))
    export_onnx(with_ood(net, means, whiten, cfg.ood_tap), model_path, cfg.input_size, list(LABELS),
                ("logits", "ood_score"))


def _onnx_logits(model_path: Path, x: np.ndarray, norm: Normalisation, threads: int) -> np.ndarray:
    """Score the *exported* file with onnxruntime: the metrics describe what ships."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    outs = [session.run(["logits"], {"input": normalise(x[i : i + 256], norm)})[0] for i in range(0, len(x), 256)]
    return np.concatenate(outs).astype(np.float64)


def _card(
    cfg: TrainConfig, net: object, model_path: Path, norm: Normalisation,
    temperature: float, abstain: float, test_set: tuple[np.ndarray, np.ndarray],
) -> ModelCard:
    from vision.train.net import count_parameters, describe, describe_lite0

    probs = softmax(_onnx_logits(model_path, test_set[0], norm, cfg.threads) / temperature)
    metrics = summarise(
        test_set[1], probs, LABELS, abstain_confidence=abstain,
        dataset=(f"synthetic test set, generator '{cfg.variation}' (same ranges as training), "
                 f"{cfg.test_per_label}/label at {cfg.gen_size}px, seed {cfg.test_seed}"),
        seed=cfg.test_seed,
    )
    return ModelCard(
        name=cfg.name,
        version=cfg.version,
        labels=list(LABELS),
        input_name="input",
        input_shape=(1, 3, cfg.input_size, cfg.input_size),
        normalisation=norm,
        temperature=round(temperature, 4),
        abstain_confidence=abstain,
        sha256=sha256_file(model_path),
        training_data=(
            f"synthetic (vision.synth, generator '{cfg.variation}'): {cfg.n_per_label}/label at "
            f"{cfg.gen_size}px, seed {cfg.seed}; "
            f"validation {cfg.val_per_label}/label, seed {cfg.val_seed}; {cfg.epochs} epochs; "
            f"oversampled {cfg.oversample}; class weights {cfg.class_weights}; "
            f"augmentation: quarter turns, mirrors, gain/contrast jitter, pixel noise up to {cfg.noise_aug}"
            + (f"; outlier exposure: {cfg.outlier_per_kind} x 7 non-tray pictures (seed {cfg.outlier_seed}), "
               f"whole + one tile, trained towards uniform" if cfg.outlier_per_kind else "")
            + (f"; real: {cfg.real_per_label}/label (not empty) made from the train series of data/real-photos "
               f"(vision.synth.real_texture: crops of 40-100 % of the short side at 3:4-4:3, white-balance / "
               f"saturation / gamma / defocus jitter, packed or in a tray, clean or with clay / foreign objects, "
               f"the generator's camera: light, noise, JPEG), "
               f"validation {max(2, cfg.real_per_label // 4)}/label of other crops" if cfg.real_per_label else "")
            + (f"; fine-tuned from {sha256_file(cfg.init_from)} (BatchNorm statistics kept)" if cfg.init_from else "")
            + (f"; plant photos of the export {cfg.plant_data.name} (not held back), each x{cfg.plant_repeat}"
               if cfg.plant_data is not None else "")
        ),
        seed=cfg.seed,
        architecture=(describe_lite0(cfg.input_size, cfg.freeze_blocks) if cfg.arch == "lite0"
                      else describe(cfg.width, cfg.input_size))
        + f"; {count_parameters(net)} parameters; second output ood_score (Mahalanobis head"
        + (f" on the pooled output of the first {cfg.ood_tap} blocks)" if cfg.ood_tap else ")"),
        metrics=metrics,
        selection=cfg.selection,  # why this network ships; written after the comparison
        created=datetime.now(timezone.utc).replace(microsecond=0),
    )
