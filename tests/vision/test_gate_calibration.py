"""The multi-frame calibration: its counting shortcut agrees with screen_frames itself, and
the thresholds it chooses keep the rules it promises (vision/gate_calibration.py)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vision.evaluation import DEMO_RULES
from vision.gate_calibration import Table, choose_thresholds, decide, figures, floor, good_review, make_loads
from vision.gate_data import PhotoSet, loads
from vision.model_card import LABELS, GateCalibration

ABSTAIN = 0.98


def _photos(n_per_label: int = 60, n_ood: int = 30, seed: int = 1) -> PhotoSet:
    """Made-up classifier outputs: each view peaked on its true label with varying sureness,
    now and then on another label; non-tray pictures (y < 0) mostly look like sand."""
    rng = np.random.default_rng(seed)
    y = np.concatenate([np.repeat(np.arange(len(LABELS)), n_per_label), -1 - rng.integers(0, 3, n_ood)])
    probs = np.empty((len(y), 5, len(LABELS)), np.float32)
    for i, truth in enumerate(y):
        for v in range(5):
            top = int(truth) if truth >= 0 and rng.random() > 0.08 else int(rng.integers(0, 2 if truth < 0 else 5))
            row = rng.dirichlet(np.full(len(LABELS), 0.3))
            probs[i, v] = 0.25 * row + 0.75 * np.eye(len(LABELS))[top] * rng.uniform(0.6, 1.0)
            probs[i, v] /= probs[i, v].sum()
    thumbs = rng.standard_normal((len(y), 32, 32)).astype(np.float32)
    thumbs /= np.linalg.norm(thumbs.reshape(len(y), -1), axis=1)[:, None, None]
    ok = rng.random(len(y)) > 0.02
    return PhotoSet(probs, rng.random((len(y), 5)) < 0.003, ok, y, thumbs, tuple(LABELS))


def test_loads_group_photos_of_one_label_each_used_once() -> None:
    y = np.array([0, 0, 0, 1, 1, 1, 1, -2, -2])
    groups = loads(y, 2, np.random.default_rng(0))
    assert all(len({int(y[i]) for i in g}) == 1 and len(g) == 2 for g in groups)
    assert len(groups) == 1 + 2 + 1
    flat = [i for g in groups for i in g]
    assert len(flat) == len(set(flat))


def test_photo_set_round_trip(tmp_path: Path) -> None:
    photos = _photos(4, 3)
    photos.save(tmp_path / "p.npz")
    back = PhotoSet.load(tmp_path / "p.npz")
    assert back.labels == photos.labels and np.array_equal(back.probs, photos.probs)
    assert back.frame(0, ABSTAIN)[0].label == photos.frame(0, ABSTAIN)[0].label


def test_chosen_thresholds_and_the_counting_shortcut_agree_with_screen_frames() -> None:
    photos = _photos()
    batch = [load for f in (1, 2, 3) for load in make_loads(photos, f, 2, 7, ABSTAIN, 0.9)]
    baseline = Table(decide(batch, DEMO_RULES, ABSTAIN, None), LABELS, DEMO_RULES)
    table = Table(decide(batch, DEMO_RULES, ABSTAIN, floor(DEMO_RULES, 0.9, 0.9)), LABELS, DEMO_RULES)
    grid = [round(t, 2) for t in np.arange(ABSTAIN, 0.6 - 1e-9, -0.01)]
    steps = choose_thresholds(table, baseline, DEMO_RULES, ABSTAIN, 3, 0.01, grid)
    assert set(steps) == {"clean_sand", "clean_gravel"}
    for values in steps.values():
        assert values[0] == ABSTAIN and values == sorted(values, reverse=True) and min(values) >= 0.6
    gate = GateCalibration(pass_confidence=steps, tile_doubt=0.9)
    for f in (1, 2, 3):
        loads_f = [load for load in batch if len(load.frames) == f and load.views == f]
        shortcut = Table(decide(loads_f, DEMO_RULES, ABSTAIN, floor(DEMO_RULES, 0.9, 0.9)), LABELS, DEMO_RULES)
        direct = figures(loads_f, DEMO_RULES, LABELS, ABSTAIN, gate, f)
        assert good_review(shortcut, DEMO_RULES, steps, ABSTAIN, f) == pytest.approx(direct.good_review)
        assert direct.false_pass_rate <= 0.01 + 1e-12
        old = figures(loads_f, DEMO_RULES, LABELS, ABSTAIN, None, f)
        assert direct.ood_pass <= old.ood_pass  # no more non-tray loads pass than per image


def test_a_cap_on_non_tray_passes_holds_for_every_view_count_one_view_included() -> None:
    photos = _photos()
    sure = np.flatnonzero(photos.y < 0)[::2]  # half the non-tray pictures: sure it is sand
    photos.probs[sure] = np.eye(len(LABELS))[LABELS.index("clean_sand")] * 0.99 + 0.002
    photos.probs[sure[::2], :, LABELS.index("clean_sand")] += 0.003  # some surer still
    photos.ood[sure] = False
    batch = [load for f in (1, 2, 3) for load in make_loads(photos, f, 2, 7, ABSTAIN, 0.9)]
    baseline = Table(decide(batch, DEMO_RULES, ABSTAIN, None), LABELS, DEMO_RULES)
    table = Table(decide(batch, DEMO_RULES, ABSTAIN, floor(DEMO_RULES, 0.9, 0.9)), LABELS, DEMO_RULES)
    grid = [round(t, 2) for t in np.arange(ABSTAIN, 0.6 - 1e-9, -0.01)]
    old = GateCalibration(pass_confidence=choose_thresholds(table, baseline, DEMO_RULES, ABSTAIN, 3, 0.01, grid),
                          tile_doubt=0.9)
    steps = choose_thresholds(table, baseline, DEMO_RULES, ABSTAIN, 3, 0.01, grid, max_ood_pass=0)
    assert steps["clean_sand"][0] > ABSTAIN  # one view had to rise above the per-image threshold
    for values in steps.values():
        assert values[0] >= ABSTAIN and values == sorted(values, reverse=True)
    gate = GateCalibration(pass_confidence=steps, tile_doubt=0.9)
    for f in (1, 2, 3):
        loads_f = [load for load in batch if len(load.frames) == f and load.views == f]
        assert figures(loads_f, DEMO_RULES, LABELS, ABSTAIN, old, f).ood_pass > 0
        assert figures(loads_f, DEMO_RULES, LABELS, ABSTAIN, gate, f).ood_pass == 0
