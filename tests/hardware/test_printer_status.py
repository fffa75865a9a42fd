"""ESC/POS real-time status bytes: every state round-trips, noise is refused, and only a cover
open, paper out or an error stops a print (paper near its end still prints)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.printer.status import PrinterStatus, StatusByteError, decode, encode

STATES = st.builds(PrinterStatus, cover_open=st.booleans(), paper_out=st.booleans(),
                   paper_near_end=st.booleans(), error=st.booleans())


@given(STATES)
def test_every_state_round_trips(state: PrinterStatus) -> None:
    off, roll = encode(state)
    assert decode(off, roll) == state


@given(STATES)
def test_only_what_stops_paper_is_a_problem(state: PrinterStatus) -> None:
    assert bool(state.problems) == (state.cover_open or state.paper_out or state.error)


@given(st.integers(0, 255))
def test_a_byte_without_the_fixed_bits_is_not_a_status(byte: int) -> None:
    if byte & 0x93 == 0x12:
        decode(byte, 0x12)
    else:
        with pytest.raises(StatusByteError):
            decode(byte, 0x12)


def test_paper_end_on_either_sensor_is_paper_out() -> None:
    assert decode(0x12 | 0x20, 0x12).paper_out and decode(0x12, 0x12 | 0x60).paper_out
    assert decode(0x12, 0x12 | 0x0C) == PrinterStatus(paper_near_end=True)
