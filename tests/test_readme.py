"""The README's register map is the one in code, not a copy that drifts."""
from pathlib import Path

from hardware.modbus.registers import render_markdown


def test_readme_register_map_matches_code():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert render_markdown().strip() in readme
