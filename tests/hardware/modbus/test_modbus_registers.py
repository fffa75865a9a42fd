"""The register map: no overlaps, names unique, values codec, Markdown rendering."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.modbus.registers import (
    DEVICES,
    GATEIO,
    SAMPLER,
    DeviceMap,
    Register,
    Table,
    find_overlaps,
    regs_to_u32,
    render_markdown,
    u32_to_regs,
)

REPO = Path(__file__).resolve().parents[3]

registers = st.builds(
    Register,
    name=st.text("abcdefgh", min_size=1, max_size=6),
    table=st.sampled_from(list(Table)),
    address=st.integers(0, 40),
    count=st.integers(1, 6),
    access=st.just("R"),
    description=st.just(""),
)


@given(st.lists(registers, max_size=12))
def test_find_overlaps_agrees_with_address_sets(regs: list[Register]) -> None:
    # Model: two registers overlap iff same table and their address sets intersect.
    def cells(r: Register) -> set[int]:
        return set(range(r.address, r.end))

    expected = {(i, j) for i in range(len(regs)) for j in range(i + 1, len(regs))
                if regs[i].table is regs[j].table and cells(regs[i]) & cells(regs[j])}
    found = find_overlaps(regs)
    assert len(found) == len(expected)
    for a, b in found:
        assert a.table is b.table and cells(a) & cells(b)


@pytest.mark.parametrize("device", DEVICES, ids=lambda d: d.device)
def test_shipped_maps_have_no_overlaps_and_unique_names(device: DeviceMap) -> None:
    assert find_overlaps(device.registers) == []
    names = [r.name for r in device.registers]
    assert len(names) == len(set(names))


@given(st.sampled_from([r for d in DEVICES for r in d.registers]), st.integers(0, 200))
def test_no_address_is_claimed_twice_within_a_device(reg: Register, offset: int) -> None:
    device = SAMPLER if reg in SAMPLER.registers else GATEIO
    address = reg.address + offset % reg.count
    owners = [r for r in device.registers
              if r.table is reg.table and r.address <= address < r.end]
    assert owners == [reg]


def test_device_map_refuses_overlaps_and_duplicates() -> None:
    a = Register("a", Table.HOLDING, 0, 2, "RW", "")
    with pytest.raises(ValueError, match="overlapping"):
        DeviceMap("x", "X", (a, Register("b", Table.HOLDING, 1, 1, "RW", "")))
    with pytest.raises(ValueError, match="duplicate"):
        DeviceMap("x", "X", (a, Register("a", Table.INPUT, 0, 1, "R", "")))
    # Same address in different tables is fine: they are separate address spaces.
    DeviceMap("x", "X", (a, Register("b", Table.INPUT, 0, 1, "R", "")))


def test_register_refuses_writable_input_and_bad_ranges() -> None:
    with pytest.raises(ValueError):
        Register("x", Table.INPUT, 0, 1, "RW", "")
    with pytest.raises(ValueError):
        Register("x", Table.HOLDING, 65535, 2, "RW", "")


def test_brief_contract_registers_exist() -> None:
    for name in ("command", "sample_code", "point_count", "bed_length_mm", "bed_width_mm",
                 "points_xy_mm", "status", "fault_code", "heartbeat", "sample_grams",
                 "points_done"):
        SAMPLER[name]
    assert SAMPLER["points_xy_mm"].count == 16
    assert SAMPLER["sample_code"].count == SAMPLER["sample_grams"].count == 2
    assert {r.table for r in GATEIO.registers} == set(Table) - {Table.HOLDING}


@given(st.integers(0, 0xFFFF_FFFF))
def test_u32_round_trip_high_word_first(value: int) -> None:
    regs = u32_to_regs(value)
    assert regs_to_u32(regs) == value
    assert regs[0] == value >> 16


def test_markdown_lists_every_register() -> None:
    md = render_markdown()
    for device in DEVICES:
        assert f"### {device.title}" in md
        for reg in device.registers:
            assert f"`{reg.name}`" in md
    rows = [line for line in md.splitlines() if line.startswith("| ") and "`" in line]
    assert len(rows) == sum(len(d.registers) for d in DEVICES)


def test_module_prints_the_table() -> None:
    out = subprocess.run([sys.executable, "-m", "hardware.modbus.registers"], cwd=REPO,
                         capture_output=True, text=True, timeout=30, check=True).stdout
    assert out == render_markdown()
