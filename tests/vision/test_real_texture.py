"""Samples from real photos and trays drawn another way: shapes, determinism, fit to judge."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from vision.model_card import LABELS
from vision.quality import assess
from vision.real import load, photos
from vision.synth.alt import draw
from vision.synth.real_texture import real_sample


@pytest.fixture(scope="module")
def sands() -> list[np.ndarray]:
    return [load(p) for p in photos("train") if p.label == "clean_sand"][:4]


@pytest.mark.parametrize("label", ["clean_sand", "muddy", "foreign"])
def test_real_samples_are_deterministic_photos(label: str, sands: list[np.ndarray]) -> None:
    a = real_sample(label, sands, np.random.default_rng(3), 128)
    b = real_sample(label, sands, np.random.default_rng(3), 128)
    c = real_sample(label, sands, np.random.default_rng(4), 128)
    assert a.shape == (128, 128, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_clay_changes_the_real_material(sands: list[np.ndarray]) -> None:
    clean = real_sample("clean_sand", sands, np.random.default_rng(9), 128).astype(float)
    muddy = real_sample("muddy", sands, np.random.default_rng(9), 128).astype(float)
    assert np.abs(clean - muddy).mean() > 5


def test_an_empty_tray_is_not_made_from_material(sands: list[np.ndarray]) -> None:
    with pytest.raises(ValueError):
        real_sample("empty", sands, np.random.default_rng(1))


@pytest.mark.parametrize("label", LABELS)
def test_alt_trays_are_deterministic_and_fit_to_judge(label: str) -> None:
    a = draw(label, np.random.default_rng([1, 2]))
    assert a.shape == (256, 256, 3) and a.dtype == np.uint8
    assert np.array_equal(a, draw(label, np.random.default_rng([1, 2])))
    assert assess(a).ok


def test_real_split_never_reads_the_validation_series(monkeypatch: pytest.MonkeyPatch) -> None:
    import vision.real
    from vision.train.data import real_split

    read: list[str] = []
    original = vision.real.load
    monkeypatch.setattr(vision.real, "load", lambda p: read.append(p.split) or original(p))
    x, y = real_split(2, 7, 96, 48)
    assert x.shape == (8, 48, 48, 3) and sorted(set(y.tolist())) == [0, 1, 2, 3]  # every label but empty
    assert read and set(read) == {"train"}


def test_training_with_real_photos_validates_on_other_crops_of_the_train_series(tmp_path: Path) -> None:
    """Real crops join the validation split whenever they join training (not only with outlier
    exposure): the abstain threshold must be chosen on real texture as well as on generated trays."""
    from vision.train.config import TrainConfig
    from vision.train.pipeline import _splits

    cfg = TrainConfig.quick(tmp_path, n_per_label=4, val_per_label=2, test_per_label=2, real_per_label=8,
                            gen_size=64, input_size=32, show_progress=False)
    (_, y_train), (_, y_val), _ = _splits(cfg)
    generated_val = 2 * len(LABELS)
    assert len(y_val) == generated_val + 2 * 4  # 8 // 4 real crops for each label but empty
    assert np.bincount(y_val[generated_val:], minlength=len(LABELS)).tolist() == [2, 2, 2, 2, 0]
    assert len(y_train) > 4 * len(LABELS) + 8 * 4 - 1


def test_real_crops_vary_in_aspect_before_the_square_resize(monkeypatch: pytest.MonkeyPatch) -> None:
    from vision.synth import real_texture

    photo = np.random.default_rng(0).integers(0, 255, (300, 400, 3)).astype(np.uint8)
    shapes = set()
    original = cv2.resize

    def spy(src: np.ndarray, *args: object, **kwargs: object) -> np.ndarray:
        shapes.add(src.shape[:2])
        return original(src, *args, **kwargs)

    monkeypatch.setattr(real_texture.cv2, "resize", spy)
    for i in range(20):
        assert real_texture.real_crop(photo, np.random.default_rng(i), 64).shape == (64, 64, 3)
    ratios = [h / w for h, w in shapes]
    assert min(ratios) < 0.9 and max(ratios) > 1.1
    assert all(min(h, w) >= 0.4 * 300 * 0.85 for h, w in shapes)
