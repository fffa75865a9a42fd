from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vision.synth import LABELS, generate

REPO = Path(__file__).resolve().parents[2]
COMMITTED_MODEL = REPO / "models" / "intake-classifier" / "model.onnx"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "training: runs the (quick) training pipeline; needs torch + onnx")


@pytest.fixture(scope="session")
def committed_model() -> Path:
    if not COMMITTED_MODEL.is_file():
        pytest.fail(f"committed model missing: {COMMITTED_MODEL}")
    return COMMITTED_MODEL


@pytest.fixture(scope="session")
def sample_images() -> dict[str, np.ndarray]:
    """One generated image per label, from a seed no training split uses."""
    return {label: generate(label, np.random.default_rng([4242, i])) for i, label in enumerate(LABELS)}
