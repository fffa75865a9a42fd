"""`intake sampling audit|reveal|plan|stats` on a real SQLite file: a day recomputes from its
revealed seed, and a tampered draw, point, input or seed is caught."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from intake.cli.main import app
from sampling_gate import KEY, SAND, Gate, make_gate

DAY1 = datetime(2025, 3, 1, 7, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
runner = CliRunner()


def cli(*args: str) -> tuple[int, list[dict]]:
    result = runner.invoke(app, ["sampling", *args, "--json"])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception            # a crash must not pass for a clean exit 1
    if result.exit_code:
        print(f"exit {result.exit_code}: {result.stderr}")   # shown by pytest when a test fails
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, lines


@pytest.fixture(scope="module")
def two_days(tmp_path_factory) -> Gate:
    """30 trucks on 1 March, 10 on 2 March, one on 3 March (which reveals the 2nd)."""
    gate = make_gate(tmp_path_factory.mktemp("audit") / "gate.db", rate=0.4, lot_tonnes=150)
    times = [DAY1 + timedelta(minutes=20 * i) for i in range(30)]
    times += [DAY1 + timedelta(days=1, minutes=30 * i) for i in range(10)] + [DAY1 + timedelta(days=2)]
    for i, when in enumerate(times):
        gate.deliver(SAND[i % len(SAND)], when, verdict="reject" if i % 7 == 3 else "pass")
    return gate


def copy_db(gate: Gate, tmp_path) -> str:
    """A private copy to tamper with (sqlite's backup API: the WAL is included)."""
    target = tmp_path / "copy.db"
    with sqlite3.connect(gate.path) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return str(target)


def tamper(path: str, sql: str) -> None:
    with sqlite3.connect(path) as conn:
        assert conn.execute(sql).rowcount == 1


def test_a_revealed_day_recomputes_exactly(two_days):
    code, out = cli("audit", "--day", "2025-03-01", "--db", two_days.url)
    assert code == 0, out
    (report,) = out
    assert report["ok"] and report["selections"] == 30 and report["mismatches"] == []
    assert 0 < report["sampled"] < 30
    assert report["commitment_ok"] and not report["committed_in_advance"]    # the very first day


def test_the_second_day_was_committed_in_advance(two_days):
    code, out = cli("audit", "--day", "2025-03-02", "--db", two_days.url)
    assert code == 0 and out[0]["committed_in_advance"] and out[0]["selections"] == 10


def test_an_unrevealed_day_cannot_pass_the_audit(two_days):
    code, out = cli("audit", "--day", "2025-03-03", "--db", two_days.url)
    assert code == 1 and not out[0]["revealed"]
    assert any("not revealed" in p for p in out[0]["problems"])


@pytest.mark.parametrize("sql, field", [
    ("UPDATE sampling_selection SET draw = draw / 2 + 0.0001 WHERE id = 5", "draw"),
    ("UPDATE sampling_selection SET sampled = 1 - sampled WHERE id = 7", "sampled"),
    ("UPDATE sampling_selection SET points_m = '[[1.0, 1.0], [2.0, 1.0], [3.0, 1.0]]' "
     "WHERE id = (SELECT min(id) FROM sampling_selection WHERE sampled = 1)", "points_m"),
    # an input rewritten: two rejects before the fifth truck (it truly saw at most one)
    ("UPDATE sampling_selection SET history = json_set(history, '$.recent', json('[\"reject\", \"reject\"]')) "
     "WHERE id = 5", "mode"),
])
def test_tampering_with_a_selection_is_caught(two_days, tmp_path, sql, field):
    db = copy_db(two_days, tmp_path)
    tamper(db, sql)
    code, out = cli("audit", "--day", "2025-03-01", "--db", f"sqlite:///{db}")
    assert code == 1 and not out[0]["ok"]
    assert field in {m["field"] for m in out[0]["mismatches"]}


def test_a_swapped_seed_breaks_the_commitment(two_days, tmp_path):
    db = copy_db(two_days, tmp_path)
    tamper(db, "UPDATE sampling_reveal SET seed_hex = '" + "ab" * 32 + "' WHERE day = '2025-03-01'")
    code, out = cli("audit", "--day", "2025-03-01", "--db", f"sqlite:///{db}")
    assert code == 1 and not out[0]["commitment_ok"] and out[0]["mismatches"]


def test_reveal_publishes_a_finished_day_and_refuses_today(two_days, tmp_path, monkeypatch):
    db = copy_db(two_days, tmp_path)
    monkeypatch.setenv("SAMPLING_TEST_KEY", KEY.decode())
    key = ["--key", "env:SAMPLING_TEST_KEY", "--db", f"sqlite:///{db}"]
    code, out = cli("reveal", "--day", "2025-03-03", *key)
    assert code == 0 and len(out[0]["seed"]) == 64
    assert cli("audit", "--day", "2025-03-03", "--db", f"sqlite:///{db}")[0] == 0
    # 00:30 in Shanghai on 4 March is still 3 March in UTC: the plant's day decides
    monkeypatch.setattr("intake.cli.sampling.utc_now",
                        lambda: datetime(2025, 3, 4, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai")))
    assert cli("reveal", "--day", "2025-03-04", *key)[0] == 2
    assert cli("reveal", "--day", "2025-03-05", *key)[0] == 2
    assert cli("reveal", "--day", "2025-13-01", *key)[0] == 2
    assert cli("reveal", "--day", "2024-01-01", *key)[0] == 1            # no seed that day


def test_audit_of_a_day_without_trucks_fails_and_bad_dates_are_usage_errors(two_days):
    assert cli("audit", "--day", "2024-01-01", "--db", two_days.url)[0] == 1
    assert cli("audit", "--day", "March 1st", "--db", two_days.url)[0] == 2


def test_plan_draws_a_png_of_the_bed_and_points(two_days, tmp_path):
    png = tmp_path / "plan.png"
    code, out = cli("plan", "--vehicle", SAND[0].plate, "--db", two_days.url, "--out", str(png))
    assert code == 0 and out[0]["material"] == "sand" and out[0]["bed_mm"] == [7200, 2350]
    image = cv2.imdecode(np.frombuffer(png.read_bytes(), np.uint8), cv2.IMREAD_COLOR)
    assert image.shape[1] > 7.2 * 100 and image.shape[0] > 2.35 * 100
    red = (image[:, :, 2] > 150) & (image[:, :, 0] < 90) & (image[:, :, 1] < 90)
    assert red.sum() > 100 * len(out[0]["points_m"])                  # the points are drawn
    assert len(out[0]["points_m"]) == 3                                 # demo config: sand takes 3


def test_plan_of_a_recorded_visit_shows_its_recorded_points(two_days, tmp_path):
    with sqlite3.connect(two_days.path) as conn:
        visit, points = conn.execute("SELECT visit_id, points_m FROM sampling_selection WHERE sampled = 1 "
                                     "ORDER BY id LIMIT 1").fetchone()
    code, out = cli("plan", "--vehicle", SAND[0].plate, "--visit", visit, "--db", two_days.url,
                    "--out", str(tmp_path / "v.png"))
    assert code == 0 and out[0]["points_m"] == json.loads(points)


def test_plan_refuses_an_unknown_vehicle(two_days, tmp_path):
    assert cli("plan", "--vehicle", "京X·00000", "--db", two_days.url, "--out", str(tmp_path / "x.png"))[0] == 2


def test_stats_compare_measured_with_configured_rates(two_days):
    code, out = cli("stats", "--db", two_days.url, "--day", "2025-03-01")
    assert code == 0 and sum(r["trucks"] for r in out) == 30
    for r in out:
        assert r["low"] <= r["configured"] <= r["high"]
        assert r["measured"] == r["drawn"] / r["trucks"]


def test_simulate_reports_rates_per_mode_within_their_ranges():
    code, out = cli("simulate", "--trucks", "6000", "--bad", "0.1", "--seed", "cd" * 32)
    rows, lots = [r for r in out if "mode" in r], out[-1]["lots"]
    assert code == 0 and {r["mode"] for r in rows} == {"normal", "tightened", "reduced"}
    assert sum(r["trucks"] for r in rows) == 6000 and all(r["within"] for r in rows)
    assert lots["closed"] > 0 and lots["closed_sampled"] == lots["closed"]
    assert cli("simulate", "--seed", "zz")[0] == 2
