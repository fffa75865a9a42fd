"""CameraSimulator: the image sequence on disk and its fault hooks."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from hardware.camera.simulator import CameraSimulator


def tray(seed: int, shape: tuple[int, int] = (60, 80)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (*shape, 3), dtype=np.uint8)


def imread(path: Path) -> np.ndarray:
    img = cv2.imread(str(path))
    assert img is not None, path
    return img


def on_disk(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir())


def test_present_writes_a_sequence_and_drops_stale_frames(tmp_path: Path) -> None:
    sim = CameraSimulator(tmp_path / "cam")
    sim.present([tray(i) for i in range(4)])
    assert on_disk(sim.root) == [f"frame_{i:03d}.png" for i in range(4)]
    sim.present([tray(9), tray(10)])
    assert on_disk(sim.root) == ["frame_000.png", "frame_001.png"]  # no temp files either
    assert np.array_equal(imread(sim.root / "frame_001.png"), tray(10))
    assert sim.source == str(sim.root / "frame_%03d.png")


def test_fault_hooks(tmp_path: Path) -> None:
    sim = CameraSimulator(tmp_path)
    sim.present([tray(1), tray(2), tray(3)])
    sim.freeze()
    frames = [imread(tmp_path / f"frame_{i:03d}.png") for i in range(3)]
    assert all(np.array_equal(f, tray(1)) for f in frames)
    sim.present([tray(1), tray(2)])
    sim.blur()
    blurred = imread(tmp_path / "frame_000.png")
    sharp = cv2.Laplacian(cv2.cvtColor(tray(1), cv2.COLOR_BGR2GRAY), cv2.CV_64F).var()
    soft = cv2.Laplacian(cv2.cvtColor(blurred, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var()
    assert soft < sharp / 10
    sim.black()
    assert sim.frame_count() == 2
    assert imread(tmp_path / "frame_001.png").max() == 0
    sim.remove()
    assert sim.frame_count() == 0


def test_refuses_what_cannot_be_a_frame(tmp_path: Path) -> None:
    sim = CameraSimulator(tmp_path)
    with pytest.raises(ValueError):
        sim.present([])
    with pytest.raises(ValueError):
        sim.present([np.zeros((4, 4), np.float32)])
    with pytest.raises(RuntimeError):
        sim.freeze()  # nothing presented yet
