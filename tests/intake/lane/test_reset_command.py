"""`intake lane reset|log` and the safety log behind them, on a real SQLite file: what latched
survives a restart, the command waits for the gate's answer and says what it was, and every
step is a chained record that verifies."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from pathlib import Path

from hardware.sim.clock import SimClock
from intake.lane.latch import LatchDesk
from intake.store import lane_events
from intake.store.audit import verify
from intake.store.db import open_engine

KEY = b"test-site-audit-key-0123456789"


def store(tmp: Path):
    return open_engine(f"sqlite:///{tmp / 'gate.db'}", KEY)


def command(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"INTAKE_TEST_KEY": KEY.decode(), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "intake", "lane", *args, "--db", f"sqlite:///{tmp / 'gate.db'}",
                           "--key", "env:INTAKE_TEST_KEY"], capture_output=True, text=True, timeout=60, env=env)


def test_what_latched_since_the_last_reset_that_took_is_read_back(tmp_path):
    engine = store(tmp_path)
    lane_events.record_fault(engine, "1", ("barrier_plant_not_open",))
    lane_events.record_fault(engine, "2", ("gate_io_frozen",))
    lane_events.record_fault(engine, "1", ("gate_io_frozen", "barrier_plant_not_open"))
    assert lane_events.latched_faults(engine, "1") == ("barrier_plant_not_open", "gate_io_frozen")
    refused = lane_events.request_reset(engine, "1", "Wang", None)
    lane_events.record_answer(engine, "1", refused, "Wang", (), ("gate_io_frozen",))
    assert lane_events.latched_faults(engine, "1") == ("barrier_plant_not_open", "gate_io_frozen")
    took = lane_events.request_reset(engine, "1", "Wang", None)
    lane_events.record_answer(engine, "1", took, "Wang", ("barrier_plant_not_open", "gate_io_frozen"), ())
    assert lane_events.latched_faults(engine, "1") == ()
    assert lane_events.latched_faults(engine, "2") == ("gate_io_frozen",)
    lane_events.record_fault(engine, "1", ("barrier_entry_limits",))
    assert lane_events.latched_faults(engine, "1") == ("barrier_entry_limits",)
    assert verify(engine, KEY).ok


def test_a_restarted_lane_keeps_its_latch_and_ignores_requests_made_before_it_ran(tmp_path):
    engine = store(tmp_path)
    lane_events.record_fault(engine, "1", ("barrier_entry_not_open",))
    lane_events.request_reset(engine, "1", "nobody was running", None)

    async def start() -> tuple[tuple[str, ...], list[lane_events.ResetRequest], list[lane_events.ResetRequest]]:
        desk = LatchDesk(engine, "1", SimClock())
        latched = await desk.restore()
        before = await desk.requests(bool(latched))
        new = lane_events.request_reset(engine, "1", "Wang", "tech")
        desk._next_look = 0.0   # the next look is due now: no waiting in a test
        return latched, before, [r for r in await desk.requests(bool(latched)) if r.id == new]

    latched, before, after = asyncio.run(start())
    assert latched == ("barrier_entry_not_open",)
    assert before == [] and [r.by for r in after] == ["Wang"]


def _answer_as_the_gate(engine, cleared: tuple[str, ...], refused_by: tuple[str, ...], done: threading.Event) -> None:
    """The running gate's side, as the lane does it: take the request, answer it."""
    while not done.is_set():
        for request in lane_events.pending_resets(engine, "1", 0):
            if lane_events.answer_to(engine, request.id) is None:
                lane_events.record_answer(engine, "1", request.id, request.by, cleared, refused_by)
                return
        done.wait(0.05)


def _with_gate(tmp: Path, cleared: tuple[str, ...], refused_by: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    engine = store(tmp)
    done = threading.Event()
    gate = threading.Thread(target=_answer_as_the_gate, args=(engine, cleared, refused_by, done))
    gate.start()
    try:
        return command(tmp, "reset", "1", "--by", "Wang Li", "--wait", "30")
    finally:
        done.set()
        gate.join()


def test_reset_reports_the_gates_answer(tmp_path):
    ok = _with_gate(tmp_path, ("barrier_plant_not_open",), ())
    assert ok.returncode == 0, ok.stderr
    assert "back in service" in ok.stdout and "barrier_plant_not_open" in ok.stdout
    refused = _with_gate(tmp_path, (), ("barrier_plant_not_open",))
    assert refused.returncode == 1 and "refused" in refused.stderr and "barrier_plant_not_open" in refused.stderr
    log = command(tmp_path, "log", "1", "--json")
    rows = [json.loads(line) for line in log.stdout.splitlines()]
    assert [(r["kind"], r["by"]) for r in rows] == [("reset_refused", "Wang Li"), ("reset_request", "Wang Li"),
                                                   ("reset", "Wang Li"), ("reset_request", "Wang Li")]
    assert rows[2]["request"] == rows[3]["id"]
    assert verify(store(tmp_path), KEY).ok


def test_reset_without_a_running_gate_or_a_name_fails(tmp_path):
    store(tmp_path).dispose()
    lapsed = command(tmp_path, "reset", "1", "--by", "Wang", "--wait", "0.5")
    assert lapsed.returncode == 1 and "no answer" in lapsed.stderr
    nameless = command(tmp_path, "reset", "1", "--by", "  ")
    assert nameless.returncode == 2
