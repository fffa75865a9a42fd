"""ruff and mypy on the packages, as part of the suite (`make test`), with the settings in
pyproject.toml: the lint rules and the device-import ban, basic type checking everywhere and
strict on the pure core. A failure prints the tools' own report."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["intake", "hardware", "vision"]


def _run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    if importlib.util.find_spec(tool) is None:
        pytest.fail(f"{tool} is not installed: it comes with the dev extra (pip install -e '.[dev]')")
    # cwd = the repository, so both tools read pyproject.toml and keep their caches in .venv/.
    return subprocess.run([sys.executable, "-m", tool, *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=240, check=False)


def test_ruff_finds_nothing() -> None:
    done = _run("ruff", "check", "--no-fix", "--output-format", "concise", *PACKAGES)
    assert done.returncode == 0, f"ruff check failed:\n{done.stdout}{done.stderr}"


def test_mypy_finds_nothing() -> None:
    done = _run("mypy")  # files, strictness and per-module settings: [tool.mypy]
    assert done.returncode == 0, f"mypy failed:\n{done.stdout}{done.stderr}"
