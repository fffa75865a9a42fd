"""Generator configurations, non-tray pictures and tiles."""
from __future__ import annotations

import numpy as np
import pytest

from vision.preprocess import tiles
from vision.synth import generate
from vision.synth.ood import OOD_KINDS, generate_ood
from vision.synth.variation import LEGACY, SHIFTED, TRAIN, variation


def test_legacy_is_the_default_generator() -> None:
    a = generate("foreign", np.random.default_rng(5))
    b = generate("foreign", np.random.default_rng(5), variation=LEGACY)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("label", ["foreign", "muddy", "clean_gravel"])
def test_held_out_ranges_make_other_images(label: str) -> None:
    a = generate(label, np.random.default_rng(5), variation=TRAIN)
    b = generate(label, np.random.default_rng(5), variation=SHIFTED)
    assert a.shape == b.shape and not np.array_equal(a, b)


def test_unknown_variation() -> None:
    assert variation("shifted") is SHIFTED
    with pytest.raises(ValueError, match="unknown generator variation"):
        variation("nope")


@pytest.mark.parametrize("kind", sorted(OOD_KINDS))
def test_ood_pictures(kind: str) -> None:
    image = generate_ood(kind, np.random.default_rng(1), 128)
    assert image.shape == (128, 128, 3) and image.dtype == np.uint8
    assert np.array_equal(image, generate_ood(kind, np.random.default_rng(1), 128))


def test_tiles_cover_the_frame() -> None:
    image = np.arange(200 * 300 * 3, dtype=np.uint32).astype(np.uint8).reshape(200, 300, 3)
    parts = tiles(image)
    assert len(parts) == 5 and parts[0] is image
    assert all(t.shape == (120, 120, 3) for t in parts[1:])
    assert np.shares_memory(parts[1], image)  # views: no copies
    # first tile at the top-left corner, last at the bottom-right corner
    assert np.array_equal(parts[1], image[:120, :120]) and np.array_equal(parts[4], image[80:, 180:])
    assert len(tiles(image, grid=1)) == 2
    with pytest.raises(ValueError):
        tiles(image, side=0.0)
