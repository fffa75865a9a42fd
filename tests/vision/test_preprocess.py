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
        assert load_image(tmp_path / name, max_side=96).shape == (200, 300, 3)  # 1/4
        assert load_image(tmp_path / name, max_side=300).shape == (400, 600, 3)  # 1/2
        assert load_image(tmp_path / name, max_side=500).shape == (800, 1200, 3)


def test_load_image_unreadable(tmp_path: Path) -> None:
    bad = tmp_path / "x.jpg"
    bad.write_bytes(b"not an image")
    with pytest.raises(ValueError, match="cannot read"):
        load_image(bad)
