"""Fixtures for the sampling tests: a gate on a real SQLite file (see sampling_gate)."""
from __future__ import annotations

from typing import Any

import pytest

from sampling_gate import Gate, make_gate


@pytest.fixture
def gate_factory(tmp_path):
    def factory(**sampling: Any) -> Gate:
        return make_gate(tmp_path / "gate.db", **sampling)
    return factory
