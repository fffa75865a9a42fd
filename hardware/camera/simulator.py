"""The simulated camera over the sample tray: images written as an image sequence on disk.

`present()` writes `frame_000.png, frame_001.png, ...` under `root`; `Camera(sim.source)`
reads them through OpenCV's image-sequence backend, exactly as it would read a real
folder. Each file is written to a temporary name and renamed into place, so a reader never
sees half an image. Fault hooks reproduce what goes wrong with real cameras.
"""
from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

_NAME = "frame_{:03d}.png"
_PATTERN = "frame_%03d.png"
_FRAME_RE = re.compile(r"^frame_(\d{3})\.png$")
_DEFAULT_SHAPE = (480, 640, 3)


class CameraSimulator:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._last: list[np.ndarray] = []

    @property
    def source(self) -> str:
        """The VideoCapture source for `Camera`: the image-sequence pattern."""
        return str(self.root / _PATTERN)

    def present(self, images: Sequence[np.ndarray]) -> None:
        """Show these images (BGR or grey uint8) as the current frames, replacing the last."""
        if not images:
            raise ValueError("present at least one image; use remove() for no source")
        if len(images) > 1000:
            raise ValueError("at most 1000 frames fit the frame_%03d pattern")
        for img in images:
            if img.dtype != np.uint8 or img.ndim not in (2, 3) or img.size == 0:
                raise ValueError(f"not a uint8 image: {img.dtype} {img.shape}")
        self.root.mkdir(parents=True, exist_ok=True)
        # Stale frames beyond the new count go first, so a reader never runs on into them.
        self._remove_frames(from_index=len(images))
        for i, img in enumerate(images):
            _write_atomic(self.root / _NAME.format(i), img)
        self._last = [img.copy() for img in images]

    def frame_count(self) -> int:
        return len(self._frame_files())

    # Fault hooks ---------------------------------------------------------------------

    def black(self) -> None:
        """Lens covered / lamp dead: every frame black, same size and count as before."""
        shapes = [img.shape for img in self._last] or [_DEFAULT_SHAPE]
        self.present([np.zeros(shape, np.uint8) for shape in shapes])

    def freeze(self) -> None:
        """Stuck sensor: the first frame repeated in place of the others."""
        first = self._require_last()[0]
        self.present([first] * len(self._last))

    def blur(self, kernel: int = 31) -> None:
        """Out of focus or a fogged lens."""
        k = kernel | 1  # GaussianBlur wants an odd kernel
        self.present([cv2.GaussianBlur(img, (k, k), 0) for img in self._require_last()])

    def remove(self) -> None:
        """Source gone: every frame deleted."""
        self._remove_frames(from_index=0)

    def _require_last(self) -> list[np.ndarray]:
        if not self._last:
            raise RuntimeError("nothing presented yet")
        return self._last

    def _frame_files(self) -> list[tuple[int, Path]]:
        if not self.root.is_dir():
            return []
        found = [(int(m.group(1)), p) for p in self.root.iterdir()
                 if (m := _FRAME_RE.match(p.name))]
        return sorted(found)

    def _remove_frames(self, from_index: int) -> None:
        for index, path in reversed(self._frame_files()):
            if index >= from_index:
                path.unlink(missing_ok=True)


def _write_atomic(path: Path, img: np.ndarray) -> None:
    ok, buf = cv2.imencode(".png", img)
    if not ok:
        raise ValueError(f"cannot encode {img.shape} as PNG")
    tmp = path.with_name(f".{path.name}.tmp")
    # No fsync: this is a simulator on a scratch folder; the rename is what readers need.
    tmp.write_bytes(buf.tobytes())
    os.replace(tmp, path)
