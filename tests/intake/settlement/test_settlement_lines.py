"""The pure part of the settlement export: cursor, window in the plant's days, lab words, summary."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from intake.settlement.lines import (
    BadArgument, Delivery, as_row, decode_cursor, encode_cursor, lab_summary, summarise, window,
)

BERLIN = ZoneInfo("Europe/Berlin")


def line(**changes: object) -> Delivery:
    base = dict(site="s", record_id="v1", ticket=1, order="PO-1", supplier="sup", material="sand", lane="1",
                plate="P", weighed_in_at=None, weighed_out_at=datetime(2026, 3, 29, 0, 30, tzinfo=timezone.utc),
                gross_kg=40_000, second_kg=15_000, second_kind="tare", received=True, net_kg=25_000, verdict="pass",
                gate_verdict="pass", reasons=[], lab=None, lab_results="", verified=True)
    return Delivery(**{**base, **changes})


def test_cursor_round_trip_is_stable_and_opaque():
    text = encode_cursor({"t": 41})
    assert decode_cursor(text) == {"t": 41} and encode_cursor({"t": 41}) == text
    assert text.isascii() and "=" not in text and "41" not in text
    assert decode_cursor(None) == {} and decode_cursor("") == {}


@pytest.mark.parametrize("bad", ["x", "eyJ2IjoyLCJwIjp7fX0", encode_cursor({"t": 1})[:-3], "eyJ2IjoxLCJwIjp7InQiOi0xfX0",
                                 "eyJ2IjoxLCJwIjp7InQiOiIxIn19", "W10"])
def test_a_cursor_not_handed_out_is_refused_naming_after(bad):
    with pytest.raises(BadArgument, match="^after: "):
        decode_cursor(bad)


def test_window_is_the_plants_days_across_a_clock_change():
    w = window("2026-03-29", "2026-03-29", BERLIN)   # 23 hours: clocks go forward
    assert w.start == datetime(2026, 3, 28, 23, 0, tzinfo=timezone.utc)
    assert w.end == datetime(2026, 3, 29, 22, 0, tzinfo=timezone.utc)
    with pytest.raises(BadArgument, match="^to: "):
        window("2026-03-29", "2026-03-28", BERLIN)
    with pytest.raises(BadArgument, match="^from: "):
        window("29.03.2026", "2026-03-30", BERLIN)


def test_lab_words():
    assert lab_summary([]) == (None, "")
    assert lab_summary([("silt_pct", "2.1", "%", "pass"), ("fm", "2.6", "", None)])[0] == "reported"
    assert lab_summary([("silt_pct", "2.1", "%", "pass"), ("clay_pct", "1.0", "%", "pass")])[0] == "pass"
    assert lab_summary([("silt_pct", "7.1", "%", "fail"), ("fm", "2.6", "", None)]) == ("fail", "silt_pct=7.1 % fail; fm=2.6 ")


def test_summary_counts_a_withheld_line_but_not_its_figures():
    lines = [line(), line(record_id="v2", received=False, net_kg=0, verdict="reject"),
             line(record_id="v3", received=False, net_kg=0, verdict="review"), line(record_id="v4").withheld(),
             line(record_id="v5", weighed_out_at=datetime(2026, 3, 29, 22, 30, tzinfo=timezone.utc))]
    rows = summarise(lines, BERLIN)
    assert [(str(r.day), r.trucks, r.received_trucks, r.received_kg, r.rejected, r.held, r.unverified) for r in rows] == [
        ("2026-03-29", 4, 1, 25_000, 1, 1, 1), ("2026-03-30", 1, 1, 25_000, 0, 0, 0)]


def test_a_withheld_line_has_no_figures():
    row = dict(zip(("site", "record_id", "ticket"), as_row(line().withheld(), BERLIN)))
    cells = as_row(line().withheld(), BERLIN)
    assert row["ticket"] == 1 and cells[10:12] == (None, None) and cells[14] is None and cells[-1] == "record fails verification"
    assert as_row(line(), BERLIN)[9] == "2026-03-29T01:30:00+01:00"   # before the change at 01:00 UTC
    later = line(weighed_out_at=datetime(2026, 3, 29, 2, 30, tzinfo=timezone.utc))
    assert as_row(later, BERLIN)[9] == "2026-03-29T04:30:00+02:00"
