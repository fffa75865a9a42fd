"""docs/config.md lists every key of gate.toml as the models define it, and nothing else."""
from __future__ import annotations

from pathlib import Path

from intake.config import GateConfig
from intake.config_reference import reference

PAGE = Path(__file__).resolve().parents[1] / "docs" / "config.md"


def test_the_reference_page_is_what_the_models_say() -> None:
    assert PAGE.read_text(encoding="utf-8") == reference(), "run scripts/config_reference.py --write"


def test_every_top_level_and_site_key_is_on_the_page() -> None:
    text = reference()
    for name in GateConfig.model_fields:
        assert f"| `{name}` |" in text
    for name in GateConfig.model_fields["site"].annotation.model_fields:   # type: ignore[union-attr]
        assert f"| `site.{name}` |" in text
