"""The README's register map is the one in code, not a copy that drifts."""
from pathlib import Path

from hardware.modbus.loadcell import LOADCELL
from hardware.modbus.registers import render_markdown


def test_readme_register_map_matches_code():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert render_markdown().strip() in readme


def test_readme_documents_the_load_cell_transmitter_registers_calibrate_reads():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = render_markdown([LOADCELL]).split("\n", 1)[1].strip()  # without the shared preamble
    assert "### Load-cell transmitter (`loadcell`)" in table and table in readme
