"""`intake alarms test|list|retry` on a real database, against the local HTTP robot and SMTP
server: exit 0 when every channel took the test alarm, 1 when one did not, 2 for bad input."""
from __future__ import annotations

import json
from email.header import decode_header, make_header
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from sqlalchemy.engine import Engine
from typer.testing import CliRunner, Result

from intake.alarms.messages import AlarmEvent
from intake.alarms.outbox import raise_alarm
from intake.cli.main import app
from intake.config import load_config
from tests.intake.alarms.conftest import Robot, Smtp, site_toml


def _config(tmp_path: Path, robot: Robot, smtp: Smtp) -> Path:
    return site_toml(tmp_path, f"""
[alarms]
timezone = "Asia/Shanghai"
[alarms.channels.wecom]
kind = "wecom"
url = "{robot.capture.url('/wecom?key=k')}"
[alarms.channels.dingtalk]
kind = "dingtalk"
url = "{robot.capture.url('/dingtalk?access_token=t')}"
secret = "env:INTAKE_TEST_DINGTALK_SECRET"
[alarms.channels.json]
kind = "json"
url = "{robot.capture.url('/json')}"
[alarms.channels.mail]
kind = "email"
host = "127.0.0.1"
port = {smtp.port}
sender = "gate@plant.test"
to = ["qa@plant.test"]
[[alarms.rules]]
event = "reject"
channels = ["wecom", "mail"]
""")


def _cli(config: Path, engine: Engine) -> Callable[..., Result]:
    runner = CliRunner()
    return lambda *args: runner.invoke(app, ["alarms", *args, "--config", str(config), "--db", str(engine.url)])


def test_test_sends_to_every_channel_and_lists_it(engine, robot: Robot, smtp: Smtp, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("INTAKE_TEST_DINGTALK_SECRET", "SECfromenv")
    cli = _cli(_config(tmp_path, robot, smtp), engine)
    robot.up()
    done = cli("test", "--json")
    assert done.exit_code == 0, done.output
    results = [json.loads(x) for x in done.stdout.splitlines()]
    assert [(r["channel"], r["kind"], r["status"]) for r in results] == [
        ("wecom", "wecom", "sent"), ("dingtalk", "dingtalk", "sent"), ("json", "json", "sent"), ("mail", "email", "sent")]
    assert sorted(p.path for p in robot.capture.posts) == ["/dingtalk", "/json", "/wecom"]
    signed = next(p for p in robot.capture.posts if p.path == "/dingtalk")
    assert "sign" in signed.query and "测试告警 Test alarm" in signed.body["text"]["content"]
    assert str(make_header(decode_header(smtp.inbox.mails[0]["Subject"]))) == "[Demo ready-mix plant] 测试告警 Test alarm"
    listed = [json.loads(x) for x in cli("list", "--json").stdout.splitlines()]
    assert listed[0]["event"] == "test" and {d["status"] for d in listed[0]["deliveries"]} == {"sent"}
    human = cli("list")
    assert human.exit_code == 0 and "wecom: sent x1" in human.stdout


def test_a_channel_that_is_down_fails_the_test_with_its_error(engine, robot: Robot, smtp: Smtp, tmp_path) -> None:
    cli = _cli(_config(tmp_path, robot, smtp), engine)   # the robot server is not started
    done = cli("test", "--channel", "json", "--channel", "mail")
    assert done.exit_code == 1
    assert "json" in done.stdout and "failed" in done.stdout and "Connection" in done.stdout
    assert "mail" in done.stdout and "sent" in done.stdout
    assert cli("test", "--channel", "nope").exit_code == 2
    assert cli("list", "--status", "odd").exit_code == 2
    failed = [json.loads(x) for x in cli("list", "--status", "failed", "--json").stdout.splitlines()]
    assert [d["channel"] for d in failed[0]["deliveries"] if d["status"] == "failed"] == ["json"]


def test_retry_delivers_what_waits(engine, robot: Robot, smtp: Smtp, tmp_path) -> None:
    config = _config(tmp_path, robot, smtp)
    cli = _cli(config, engine)
    cfg = load_config(config)
    later = datetime(2030, 1, 1, tzinfo=timezone.utc)   # raised "in the future": not due by itself
    raise_alarm(engine, cfg.alarms, AlarmEvent(event="reject", at=later, key="reject:v9", lane="1", plate="P9"), later)
    assert cli("retry").exit_code == 1   # wecom is down: still pending
    robot.up()
    done = cli("retry", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout.splitlines()[-1]) == {"due": 1, "tried": 1, "pending": 0}
    assert [p.path for p in robot.capture.posts] == ["/wecom"] and len(smtp.inbox.mails) == 1


def test_prune_removes_old_settled_alarms_only(engine: Engine, robot: Robot, smtp: Smtp, tmp_path: Path) -> None:
    from intake.alarms.outbox import recent
    from intake.alarms.service import worker_for

    config = _config(tmp_path, robot, smtp)
    cli = _cli(config, engine)
    cfg = load_config(config)
    old = datetime(2020, 1, 1, tzinfo=timezone.utc)
    for visit, at in (("settled", old), ("also-settled", old), ("recent", datetime.now(timezone.utc))):
        raise_alarm(engine, cfg.alarms, AlarmEvent(event="reject", at=at, key=f"reject:{visit}", lane=visit,
                                                   plate=visit), at)
    robot.up()
    worker_for(cfg, engine, lambda: old).run_once()       # the two old ones are due then: sent
    worker_for(cfg, engine, lambda: datetime.now(timezone.utc)).run_once()   # the recent one: sent
    robot.down()
    raise_alarm(engine, cfg.alarms, AlarmEvent(event="reject", at=old, key="reject:late", lane="late",
                                               plate="late"), old)   # still pending (never tried)
    raise_alarm(engine, cfg.alarms, AlarmEvent(event="reject", at=old, key="reject:held", lane="late",
                                               plate="held"), old)   # held back by the rate limit: settled
    dry = cli("prune", "--days", "30", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout) == {"alarms": 3, "deliveries": 4, "attempts": 4, "dry_run": True}
    assert len(recent(engine)) == 5
    assert cli("prune", "--days", "30").stdout.strip() == "removed 3 alarms, 4 deliveries, 4 attempts"
    assert sorted(x.alarm.key for x in recent(engine)) == ["reject:late", "reject:recent"]


def test_test_without_channels_says_where_to_add_them(engine: Engine, tmp_path: Path) -> None:
    done = _cli(site_toml(tmp_path, ""), engine)("test")
    assert done.exit_code == 2 and "no channels configured: add [alarms.channels.<name>]" in done.stderr
