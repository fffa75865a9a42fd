"""Kill the gate (SIGKILL) at every step boundary of a truck cycle, one by one, restart it, and
check: every acknowledged record is still there, the chain verifies and only grew, a visit in
flight ended as REVIEW `aborted_by_restart` (never PASS), nothing is half-written, and the
restarted gate handles a truck again.

The boundaries come from a traced reference run (INTAKE_CRASH_TRACE), so a new commit point or
actuator step in the lane code is swept without editing this test."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from intake.store.audit import verify
from intake.store.db import open_engine

FRAMES_PER_INSPECTION = 5   # the demo config's lanes.camera.frames
MIN_BOUNDARIES = 12


def demo(tmp: Path, **env: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "intake", "demo", "--trucks", "1", "--speed", "50", "--no-web", "--json",
           "--sampling-rate", "1", "--db", f"sqlite:///{tmp / 'gate.db'}"]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_CRASH")}
    return subprocess.run(cmd, cwd=tmp, env={**full_env, **env}, capture_output=True, text=True, timeout=150)


def trace(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture(scope="module")
def boundaries(tmp_path_factory) -> list[dict]:
    tmp = tmp_path_factory.mktemp("reference")
    done = demo(tmp, INTAKE_CRASH_TRACE=str(tmp / "trace"))
    assert done.returncode == 0, done.stderr
    points = trace(tmp / "trace")
    assert len(points) >= MIN_BOUNDARIES, points
    return points


def crash_and_restart(base: Path, point: dict) -> list[str]:
    """One sweep case; returns what went wrong (empty: all good)."""
    tmp = base / f"{point['point']}-{point['n']}"
    tmp.mkdir()
    crashed = demo(tmp, INTAKE_CRASH_AT=f"{point['point']}:{point['n']}", INTAKE_CRASH_TRACE=str(tmp / "trace"))
    if crashed.returncode != -9:
        return [f"did not die at the boundary (rc={crashed.returncode}): {crashed.stderr[-500:]}"]
    acknowledged = trace(tmp / "trace")
    before = chain(tmp / "gate.db")
    in_flight = not any(p["point"] == "decision" for p in acknowledged) and acknowledged[0]["point"] == "visit"
    restarted = demo(tmp)
    problems = [] if restarted.returncode == 0 else [f"restart failed (rc={restarted.returncode}): {restarted.stderr[-800:]}"]
    return problems + check_database(tmp, acknowledged, before, in_flight)


def chain(db: Path) -> list[tuple[int, str]]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT seq, mac FROM chainlink ORDER BY seq").fetchall()
    finally:
        con.close()


def check_database(tmp: Path, acknowledged: list[dict], before: list, in_flight: bool) -> list[str]:
    problems = []
    con = sqlite3.connect(tmp / "gate.db")
    if con.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        problems.append("integrity_check failed")
    for p in acknowledged:
        for pk in p.get("pks", []):
            key = "id"
            if not con.execute(f"SELECT 1 FROM {p['table']} WHERE {key} = ?", (pk if p["table"] == "visit" else int(pk),)).fetchone():
                problems.append(f"acknowledged {p['table']} {pk} lost")
    after = con.execute("SELECT seq, mac FROM chainlink ORDER BY seq").fetchall()
    if after[:len(before)] != before:
        problems.append("chain rewritten across the restart")
    first_visit = con.execute("SELECT id FROM visit ORDER BY opened_at LIMIT 1").fetchone()
    if first_visit:
        reasons = [json.loads(r[1]) for r in con.execute(
            "SELECT verdict, reasons FROM decision WHERE visit_id = ? ORDER BY id", first_visit)]
        aborted = ["aborted_by_restart"] in reasons
        if aborted != in_flight:
            problems.append(f"visit in flight={in_flight} but aborted={aborted}: {reasons}")
    if in_flight and con.execute("SELECT count(*) FROM decision WHERE visit_id = ? AND verdict = 'pass'",
                                 first_visit).fetchone()[0]:
        problems.append("a visit aborted by the restart ended PASS")
    for (inspection, frames) in con.execute(
            "SELECT i.id, count(f.id) FROM inspection i LEFT JOIN frame f ON f.inspection_id = i.id GROUP BY i.id"):
        if frames != FRAMES_PER_INSPECTION:
            problems.append(f"inspection {inspection} half-written: {frames} frames")
    con.close()
    key = (tmp / "var" / "demo" / "audit.key").read_bytes().strip()
    report = verify(open_engine(f"sqlite:///{tmp / 'gate.db'}", key, migrate=False), key)
    if not report.ok:
        problems.append(f"chain does not verify: {report.problems[:3]}")
    return problems


def test_sigkill_at_every_boundary_loses_nothing(boundaries, tmp_path):
    # Two at a time: each case is two short gate runs, mostly waiting on simulated time.
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda p: (p, crash_and_restart(tmp_path, p)), boundaries))
    failures = {f"{p['point']}:{p['n']}": errs for p, errs in results if errs}
    print(f"crash sweep: {len(results)} boundaries, {len(failures)} failed")
    assert not failures, json.dumps(failures, indent=1, ensure_ascii=False)
