"""Training pipeline (optional `train` extra): torch and onnx are imported only inside functions,
so importing this package costs nothing at the gate."""
from __future__ import annotations

from typing import TYPE_CHECKING

from vision.train.config import TrainConfig

if TYPE_CHECKING:
    from vision.train.pipeline import TrainResult

__all__ = ["TrainConfig", "train"]


def train(cfg: TrainConfig) -> TrainResult:
    """See `vision.train.pipeline.train`."""
    from vision.train.pipeline import train as run

    return run(cfg)
