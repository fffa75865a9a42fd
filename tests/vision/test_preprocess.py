from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from vision.model_card import Normalisation
from vision.preprocess import centre_crop, image_size, load_image, normalise, prepare, preprocess, preprocess_batch

NORM = Normalisation(mean=(0.5, 0.4, 0.3), std=(0.2, 0.25, 0.5))


class _Card:
    """Just the fields preprocess reads."""

    height = width = 32
    centre_crop = 1.0
    normalisation = NORM


def test_shape_dtype_and_layout() -> None:
    image = np.zeros((120, 200, 3), np.uint8)
    tensor = preprocess(image, _Card())  # type: ignore[arg-type]
    assert tensor.shape == (1, 3, 32, 32)
    assert tensor.dtype == np.float32
    assert tensor.flags.c_contiguous


def test_bgr_becomes_rgb_and_is_normalised() -> None:
    image = np.zeros((40, 40, 3), np.uint8)
    image[..., 2] = 255  # pure red in BGR
    tensor = preprocess(image, _Card())[0]  # type: ignore[arg-type]
    np.testing.assert_allclose(tensor[0], (1.0 - 0.5) / 0.2, rtol=1e-5)  # R channel first
    np.testing.assert_allclose(tensor[1], (0.0 - 0.4) / 0.25, rtol=1e-5)
    np.testing.assert_allclose(tensor[2], (0.0 - 0.3) / 0.5, rtol=1e-5)


def test_batch_matches_single() -> None:
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (50, 70, 3), dtype=np.uint8) for _ in range(3)]
    batch = preprocess_batch(images, _Card())  # type: ignore[arg-type]
    assert batch.shape == (3, 3, 32, 32)
    np.testing.assert_array_equal(batch[1], preprocess(images[1], _Card())[0])  # type: ignore[arg-type]


def test_normalise_any_leading_dims() -> None:
    rgb = np.full((2, 5, 8, 8, 3), 255, np.uint8)
    out = normalise(rgb, NORM)
    assert out.shape == (2, 5, 3, 8, 8)


def test_centre_crop_and_grey_input() -> None:
    image = np.zeros((100, 60), np.uint8)
    assert centre_crop(image, 0.5).shape == (30, 30)
    assert prepare(image, 16, 16).shape == (16, 16, 3)


def test_bad_input_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        prepare(np.zeros((10, 10, 3), np.float32), 8, 8)
    with pytest.raises(ValueError):
        prepare(np.zeros((10, 10, 2), np.uint8), 8, 8)


def test_load_image_reduced_decode(tmp_path: Path) -> None:
    big = (np.indices((800, 1200)).sum(0) % 256).astype(np.uint8)
    image = cv2.merge([big, big, big])
    for name in ("big.jpg", "big.png"):
        cv2.imwrite(str(tmp_path / name), image)
        assert image_size((tmp_path / name).read_bytes()[:65536]) == (1200, 800)
        assert load_image(tmp_path / name).shape == (800, 1200, 3)
    jpg = tmp_path / "big.jpg"
    assert load_image(jpg, max_side=50).shape == (100, 150, 3)  # 1/8
    assert load_image(jpg, max_side=96).shape == (200, 300, 3)  # 1/4
    assert load_image(jpg, max_side=150).shape == (400, 600, 3)  # 1/2
    assert load_image(jpg, max_side=300).shape == (800, 1200, 3)
    # A PNG has no cheaper reduced decode: it is read whole.
    assert load_image(tmp_path / "big.png", max_side=96).shape == (800, 1200, 3)


def test_load_image_unreadable(tmp_path: Path) -> None:
    bad = tmp_path / "x.jpg"
    bad.write_bytes(b"not an image")
    with pytest.raises(ValueError, match="cannot read"):
        load_image(bad)


# ---- the gate's fast path vs the naive one (behaviour, not timing) -----------------------

from vision.preprocess import decode, frame_tensor, model_side, reduction, to_tensor  # noqa: E402
from vision.synth import generate  # noqa: E402

MODEL = Path(__file__).resolve().parents[2] / "models" / "intake-classifier" / "model.onnx"


def _jpeg(label: str, seed: int, width: int, height: int) -> bytes:
    tray = generate(label, np.random.default_rng(seed), size=384)
    frame = cv2.resize(tray, (width, height), interpolation=cv2.INTER_CUBIC)
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return buf.tobytes()


def test_to_tensor_equals_prepare_then_normalise() -> None:
    image = np.random.default_rng(1).integers(0, 256, (90, 130, 3), dtype=np.uint8)
    card = _Card()
    naive = normalise(prepare(image, card.height, card.width, card.centre_crop), NORM)[None]
    np.testing.assert_allclose(to_tensor(image, card), naive, atol=1e-5)  # type: ignore[arg-type]


@pytest.mark.parametrize("short,need,factor", [(1080, 96, 4), (2160, 96, 8), (1080, 135, 4), (1080, 136, 2),
                                               (960, 120, 4), (960, 121, 2), (480, 96, 2), (191, 96, 1)])
def test_reduction_keeps_two_decoded_pixels_per_input_pixel(short, need, factor) -> None:
    assert reduction(short, need) == factor
    assert short // factor >= 2 * need or factor == 1


@pytest.mark.parametrize("width,height", [(1920, 1080), (1280, 960), (640, 480)])
def test_fast_frame_path_matches_the_naive_one_on_the_shipped_model(width, height) -> None:
    from vision.classifier import OnnxClassifier

    clf = OnnxClassifier.load(MODEL)
    card = clf.card
    for label, seed in (("clean_sand", 3), ("clean_gravel", 4), ("muddy", 5)):
        data = _jpeg(label, seed, width, height)
        reduced = decode(data, model_side(card))
        assert min(reduced.shape[:2]) >= model_side(card)
        assert min(reduced.shape[:2]) < min(width, height) or reduction(min(width, height), model_side(card)) == 1
        full = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        naive = normalise(prepare(full, card.height, card.width, card.centre_crop), card.normalisation)[None]
        fast = frame_tensor(data, card)
        assert fast.shape == naive.shape and fast.dtype == np.float32 and fast.flags.c_contiguous
        assert float(np.abs(fast - naive).mean()) < 0.05  # ~2 grey levels of 255
        p_fast, p_naive = clf._predict(fast)[0], clf._predict(naive)[0]
        assert p_fast.label == p_naive.label
        assert max(abs(p_fast.probs[k] - p_naive.probs[k]) for k in p_fast.probs) < 0.03
