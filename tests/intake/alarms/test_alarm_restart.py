"""Fault test: the outbox survives a crash. An alarm is queued while its target is down; the
delivery process tries, fails and is killed (SIGKILL); the target comes up; a new process
delivers it, exactly once, and the attempt log shows every try."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from intake.alarms.outbox import attempts_of, raise_alarm
from intake.alarms.tables import AlarmDelivery
from intake.config import load_config
from intake.alarms.messages import AlarmEvent
from tests.intake.alarms.conftest import ROOT, Robot, site_toml

WAIT_S = 30.0   # upper bound for a process to reach a state; the test never asserts a duration


def _deliverer(config: Path, db: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "intake.cli.main", "alarms", "deliver", "--interval", "0.1",
                             "--config", str(config), "--db", db], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _delivery(engine: Engine) -> AlarmDelivery:
    with Session(engine) as session:
        return session.exec(select(AlarmDelivery)).one()


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        assert time.monotonic() < deadline, f"not reached within {WAIT_S} s: {what}"
        time.sleep(0.05)


def test_queued_alarm_survives_a_killed_worker_and_is_delivered_exactly_once(engine, robot: Robot, tmp_path) -> None:
    config = site_toml(tmp_path, f"""
[alarms]
timezone = "Asia/Shanghai"
backoff = {{ first_s = 0.2, max_s = 0.4, give_up_h = 1 }}
[alarms.channels.ops]
kind = "json"
url = "{robot.capture.url('/ops')}"
[[alarms.rules]]
event = "reject"
channels = ["ops"]
""")
    cfg = load_config(config)
    db = str(engine.url)
    now = datetime.now(timezone.utc)
    raise_alarm(engine, cfg.alarms, AlarmEvent(event="reject", at=now, key="reject:v1", lane="1", plate="京A12345",
                                               visit="v1", reasons=["muddy"]), now)
    first = _deliverer(config, db)
    try:
        _until(lambda: _delivery(engine).attempts >= 2, "two failed attempts while the target is down")
    finally:
        first.send_signal(signal.SIGKILL)   # a crash: no clean shutdown
        first.wait(10)
    failed = _delivery(engine)
    assert failed.status == "pending" and "Connection" in (failed.last_error or "")
    robot.up()
    second = _deliverer(config, db)
    try:
        _until(lambda: _delivery(engine).status == "sent", "delivered after the restart")
        time.sleep(0.5)   # several more passes of the worker: nothing is sent twice
    finally:
        second.send_signal(signal.SIGTERM)
        _, err = second.communicate(timeout=10)
    assert second.returncode == 0, err.decode()
    assert "stopped; 0 pending" in err.decode()
    [post] = robot.capture.posts
    assert post.path == "/ops" and post.body["plate"] == "京A12345" and post.body["event"] == "reject"
    log = attempts_of(engine, failed.id)
    assert [a.ok for a in log][-1] is True and not any(a.ok for a in log[:-1]) and len(log) >= 3
    assert _delivery(engine).attempts == len(log)
