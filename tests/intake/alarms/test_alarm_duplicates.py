"""Fault test: a crash between a send and its "sent" mark sends the alarm again, and the receiver
can tell the copy. The delivery process is killed (SIGKILL, a crash point) right after a channel
took the alarm; the next process sends it again, carrying the same delivery id: the webhook's
`Idempotency-Key` header and `delivery_id` field, the mail's `Message-ID` and
`X-Intake-Delivery-Id` header. Each channel's id is its own."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from intake.alarms.messages import AlarmEvent, delivery_id
from intake.alarms.outbox import raise_alarm
from intake.alarms.tables import AlarmDelivery
from intake.config import load_config
from tests.intake.alarms.conftest import ROOT, Capture, Smtp, site_toml


def _deliver_once(config: Path, db: str, crash_at: str | None) -> int:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("INTAKE_CRASH_AT", None)
    if crash_at:
        env["INTAKE_CRASH_AT"] = crash_at
    done = subprocess.run([sys.executable, "-m", "intake.cli.main", "alarms", "deliver", "--once",
                           "--config", str(config), "--db", db], cwd=ROOT, env=env, capture_output=True, timeout=60)
    return done.returncode


def _statuses(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return {d.channel: d.status for d in session.exec(select(AlarmDelivery))}


def test_a_crash_after_the_send_resends_with_the_same_delivery_id(engine, capture: Capture, smtp: Smtp,
                                                                  tmp_path) -> None:
    config = site_toml(tmp_path, f"""
[alarms]
timezone = "Asia/Shanghai"
[alarms.channels.ops]
kind = "json"
url = "{capture.url('/ops')}"
[alarms.channels.mail]
kind = "email"
host = "127.0.0.1"
port = {smtp.port}
sender = "gate@plant.test"
to = ["qa@plant.test"]
[[alarms.rules]]
event = "reject"
channels = ["ops", "mail"]
""")
    cfg = load_config(config)
    db = str(engine.url)
    now = datetime.now(timezone.utc)
    ev = AlarmEvent(event="reject", at=now, key="reject:v7", lane="1", plate="京A12345", visit="v7", reasons=["muddy"])
    [raised] = raise_alarm(engine, cfg.alarms, ev, now)
    # The first process sends to ops and dies before marking it; the second sends ops again and
    # mail, and dies before marking mail; the third sends mail again and marks it.
    assert _deliver_once(config, db, "alarm_sent:1") == -9
    assert _statuses(engine) == {"ops": "pending", "mail": "pending"} and len(capture.posts) == 1
    assert _deliver_once(config, db, "alarm_sent:2") == -9
    assert _statuses(engine) == {"ops": "sent", "mail": "pending"} and len(smtp.inbox.mails) == 1
    assert _deliver_once(config, db, None) == 0
    assert _statuses(engine) == {"ops": "sent", "mail": "sent"}

    ops_id = delivery_id(cfg.site.name, raised.rule, ev.key, "ops")
    mail_id = delivery_id(cfg.site.name, raised.rule, ev.key, "mail")
    assert ops_id != mail_id
    first, again = capture.posts
    assert first.body == again.body   # the same alarm, byte for byte: a copy
    for post in (first, again):
        assert post.headers["Idempotency-Key"] == post.headers["X-Intake-Delivery-Id"] == ops_id
        assert post.body["delivery_id"] == ops_id and f"编号 ID: {ops_id}" in post.body["text"]
    assert len(smtp.inbox.mails) == 2
    for message in smtp.inbox.mails:
        assert message["Message-ID"] == f"<{mail_id}@plant.test>"
        assert message["X-Intake-Delivery-Id"] == mail_id


def test_the_id_is_the_alarms_not_the_outbox_rows() -> None:
    one = delivery_id("Plant 1", "0.reject", "reject:v1", "ops")
    assert one == delivery_id("Plant 1", "0.reject", "reject:v1", "ops")
    others = {delivery_id("Plant 2", "0.reject", "reject:v1", "ops"), delivery_id("Plant 1", "1.reject", "reject:v1", "ops"),
              delivery_id("Plant 1", "0.reject", "reject:v2", "ops"), delivery_id("Plant 1", "0.reject", "reject:v1", "mail")}
    assert one not in others and len(others) == 4
