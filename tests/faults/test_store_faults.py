"""A store that stops taking records: a read-only database, a full disk (a real tmpfs filled
up), a database locked by another process. The lane goes out of service, says why on the kiosk
and in /health, admits nobody, loses nothing already recorded, and (disk freed, lock released)
takes trucks again by itself; the truck that was on the deck ends as REVIEW, never PASS."""
from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

from sqlalchemy import event
from sqlmodel import Session, create_engine, select

from intake.demo.runner import DemoOptions, run_demo
from intake.lane.status import LaneStatus, LaneStep
from intake.store.tables import Decision, Weighing
from intake.web import i18n
from intake.web.health import health_payload
from intake.web.i18n import REFUSALS

from .harness import check_invariants
from .store_disk import LockHolder, SmallDisk
from .watched_run import Watch, run_watched


def test_a_read_only_database_takes_the_lane_out_of_service(tmp_path):
    out: list[dict] = []
    gates: list = []
    seen: list = []

    def on_truck_done(summary: dict) -> None:
        out.append(summary)
        if len(out) == 1:
            # From now on every new connection refuses writes, as a read-only file would.
            engine = gates[0].records.engine
            event.listen(engine, "connect", lambda conn, _rec: conn.execute("PRAGMA query_only = 1"))
            engine.dispose()

    async def scenario() -> int:
        opts = DemoOptions(trucks=2, speed=50, db=f"sqlite:///{tmp_path / 'gate.db'}", web=False,
                           sampling_rate=0.0, data_dir=tmp_path / "data")
        task = asyncio.create_task(run_demo(opts, on_truck_done, on_gate=lambda g, _u: gates.append(g)))
        while not task.done():
            if gates and (status := gates[0].hub.latest("1")) is not None:
                seen.append(status)
            await asyncio.sleep(0.02)
        return task.result()

    code = asyncio.run(asyncio.wait_for(scenario(), timeout=240))
    assert code == 1 and len(out) == 1                   # the second truck was never admitted
    faults = [s for s in seen if s.step is LaneStep.OUT_OF_SERVICE]
    assert faults and all(s.fault == "store:read_only" for s in faults)
    assert i18n.instruction(faults[0])[1].startswith("Storage read-only")
    assert all(s.verdict != "pass" for s in faults)
    # Read back through a fresh engine: the gate's own still refuses writes.
    with Session(create_engine(f"sqlite:///{tmp_path / 'gate.db'}")) as session:
        weights = {(w.visit_id, w.kind): w.weight_kg for w in session.exec(select(Weighing))}
        decided = {d.visit_id for d in session.exec(select(Decision))}
    first = out[0]   # everything acknowledged before the store failed is still there
    assert weights[(first["visit"], "in")] == first["gross_kg"] and weights[(first["visit"], "out")] == (first["tare_kg"] if first["received"] else first["exit_kg"])
    assert first["visit"] in decided
    assert sum(kind == "out" for _, kind in weights) == 1   # nobody weighed out after the failure


# ---- a full disk and a locked database, for real -------------------------------------------

def acknowledged(db: Path) -> dict[int, str]:
    """The chain links durably in the file now (seq -> MAC), read by another connection."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return dict(conn.execute("SELECT seq, mac FROM chainlink").fetchall())


def checkpoint_truncate(db: Path) -> None:
    """Empty the WAL file, so that every later commit needs fresh space on the disk (a WAL
    that was longer before keeps reusing its own space, which a full disk does not stop)."""
    with closing(sqlite3.connect(db, timeout=10)) as conn:
        for _ in range(500):   # busy while a gate transaction is open: try again
            if conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0:
                return
            time.sleep(0.01)
    raise AssertionError("the WAL could not be checkpointed")


def audit_verify(db: Path, key: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "intake.cli.main", "audit", "verify", "--db", f"sqlite:///{db}",
                           "--key", f"file:{key}"], capture_output=True, text=True, timeout=120)


def quick_check(db: Path) -> str:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("PRAGMA quick_check").fetchone()[0]


def on_the_deck(status: LaneStatus, step: LaneStep) -> bool:
    return status.step is step and status.visit is not None


async def held_out_of_service(w: Watch, notes: dict, fault: str) -> None:
    """The lane closed for the store: note what the kiosk and /health said, and that nobody
    else got in while it stayed closed for 80 simulated seconds."""
    down = await w.until(lambda s: s.step is LaneStep.OUT_OF_SERVICE)
    assert w.gate is not None
    notes["down"], notes["health"] = down, health_payload(w.gate.hub, None)
    notes["kiosk"] = i18n.instruction(down)
    await asyncio.sleep(1.6)
    notes["during"] = w.seen[w.seen.index(down):]
    assert all(s.fault == fault for s in notes["during"]), [s.fault for s in notes["during"]]


def check_store_outage(o, notes: dict, fault: str, reason: str, acked: dict[int, str], after: dict[int, str]) -> None:
    check_invariants(o, touched={0}, fired=0)   # no PASS for truck 0; all terminal; chain verifies
    assert notes["down"].fault == fault and notes["kiosk"] == REFUSALS[fault]
    assert notes["health"]["status"] == "down" and notes["health"]["faults"] == {"1": fault}
    # Nobody was admitted while the store was failing: only truck 0's visit, never a verdict.
    assert {s.visit for s in notes["during"]} == {notes["visit"]}
    assert all(s.verdict is None for s in notes["during"])
    held = o.first(0)
    assert held.visit == notes["visit"] and held.verdicts[-1] == "review" and held.reasons[-1] == [reason]
    assert all(after.get(seq) == mac for seq, mac in acked.items())   # nothing acknowledged lost
    assert len(after) > len(acked)


def test_a_full_disk_refuses_trucks_says_so_and_recovers_losing_nothing(tmp_path):
    disk = SmallDisk(tmp_path / "disk", size_mb=32)
    db = disk.path / "gate.db"
    notes: dict = {}

    async def watcher(w: Watch) -> None:
        # Truck 0 weighed in (recorded) and being sampled: the disk fills under it.
        notes["visit"] = (await w.until(lambda s: on_the_deck(s, LaneStep.SAMPLING))).visit
        await asyncio.to_thread(checkpoint_truncate, db)
        notes["acked"] = await asyncio.to_thread(acknowledged, db)
        notes["filled"] = await asyncio.to_thread(disk.fill)
        try:
            await held_out_of_service(w, notes, "store:full")
        finally:
            disk.free()   # space returns: the lane must take trucks again by itself
        await w.until(lambda s: s.step is not LaneStep.OUT_OF_SERVICE)

    try:
        o, _ = run_watched(tmp_path, db, 2, watcher)
        after, check, audit = acknowledged(db), quick_check(db), audit_verify(db, tmp_path / "audit.key")
    finally:
        disk.unmount()
    assert notes["filled"] > 0 and check == "ok"
    assert audit.returncode == 0, audit.stdout + audit.stderr   # `intake audit verify`, as an operator runs it
    check_store_outage(o, notes, "store:full", "store_full", notes["acked"], after)
    assert "in" in o.first(0).weights          # the weigh-in recorded before the fault is kept


def test_a_database_locked_by_another_process_holds_the_truck_then_resumes(tmp_path):
    db = tmp_path / "gate.db"
    holder = LockHolder(db)
    notes: dict = {}

    async def watcher(w: Watch) -> None:
        # Truck 0 admitted, driving on: its weigh-in cannot be written while the lock is held.
        notes["visit"] = (await w.until(lambda s: on_the_deck(s, LaneStep.ARRIVING))).visit
        notes["acked"] = await asyncio.to_thread(acknowledged, db)
        await asyncio.to_thread(holder.lock)
        try:
            await held_out_of_service(w, notes, "store:locked")
        finally:
            await asyncio.to_thread(holder.release)
        await w.until(lambda s: s.step is not LaneStep.OUT_OF_SERVICE)

    try:
        # A busy timeout of 0.3 s (the gate's default is BUSY_TIMEOUT_S) keeps the test short.
        o, _ = run_watched(tmp_path, db, 2, watcher, query="?timeout=0.3")
    finally:
        holder.close()
    check_store_outage(o, notes, "store:locked", "store_locked", notes["acked"], acknowledged(db))
    assert "Database busy" in notes["kiosk"][1]
