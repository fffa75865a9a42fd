"""Each channel against a real local server: the WeCom, DingTalk (with its sign) and plain JSON
bodies as a robot endpoint receives them, and the mail as an SMTP server receives it."""
from __future__ import annotations

import base64
import hashlib
import hmac
import ssl
import subprocess
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from intake.alarms.channels import DeliveryError, deliver
from intake.alarms.config import AlarmsConfig, EmailChannel
from intake.alarms.messages import AlarmEvent
from tests.intake.alarms.conftest import T0, Capture, Inbox, Robot, Smtp, alarms_config, free_port

SITE, TZ = "一号搅拌站 Plant 1", "Asia/Shanghai"
REJECT = AlarmEvent(event="reject", at=T0, key="reject:v1", lane="2", plate="京A·S1234", visit="v1",
                    reasons=["muddy", "foreign_matter"])


def _send(cfg: AlarmsConfig, name: str, suppressed: int = 0) -> str:
    return deliver(cfg.channels[name], REJECT, SITE, TZ, suppressed, T0)


def test_wecom_robot_gets_a_text_message_chinese_first(capture: Capture) -> None:
    cfg = alarms_config(capture)
    assert _send(cfg, "wecom") == "HTTP 200"
    [post] = capture.posts
    assert post.path == "/wecom" and post.query == {"key": ["abc"]}
    assert post.content_type.startswith("application/json")
    assert set(post.body) == {"msgtype", "text"} and post.body["msgtype"] == "text"
    lines = post.body["text"]["content"].splitlines()
    assert lines[0] == "【一号搅拌站 Plant 1 告警 Alarm】拒收 Load rejected"
    assert "车道 Lane: 2" in lines and "车牌 Plate: 京A·S1234" in lines
    assert "原因 Reason: 含泥量超标；含有杂物 / Too much mud or clay; Foreign matter found" in lines
    assert "时间 Time: 2026-12-04 18:00:00 (Asia/Shanghai)" in lines   # 10:00 UTC in the site's zone


def test_dingtalk_robot_post_is_signed_with_timestamp_and_secret(capture: Capture) -> None:
    cfg = alarms_config(capture)
    _send(cfg, "dingtalk", suppressed=3)
    [post] = capture.posts
    assert post.path == "/dingtalk" and post.query["access_token"] == ["t0k"]
    stamp = post.query["timestamp"][0]
    assert stamp == str(int(T0.timestamp() * 1000))   # the sending time, in ms
    expected = base64.b64encode(hmac.new(b"SECtest-secret", f"{stamp}\nSECtest-secret".encode(),
                                         hashlib.sha256).digest()).decode()
    assert post.query["sign"] == [expected]   # parse_qs undid the URL encoding
    assert post.body["msgtype"] == "text"
    assert "3 similar alarm(s) held back by the rate limit" in post.body["text"]["content"]


def test_dingtalk_without_a_secret_is_not_signed(capture: Capture) -> None:
    cfg = AlarmsConfig.model_validate({"channels": {"dd": {"kind": "dingtalk", "url": capture.url("/dd?access_token=x")}}})
    deliver(cfg.channels["dd"], REJECT, SITE, TZ, 0, T0)
    assert "sign" not in capture.posts[0].query and "timestamp" not in capture.posts[0].query


def test_plain_json_carries_every_fact_as_a_field(capture: Capture) -> None:
    _send(alarms_config(capture), "json")
    body = capture.posts[0].body
    assert body["event"] == "reject" and body["lane"] == "2" and body["plate"] == "京A·S1234"
    assert body["reasons"] == ["muddy", "foreign_matter"] and body["reasons_zh"] == "含泥量超标；含有杂物"
    assert body["title_zh"] == "拒收" and body["title_en"] == "Load rejected"
    assert body["at"] == "2026-12-04T10:00:00+00:00" and body["at_local"] == "2026-12-04T18:00:00+08:00"
    assert body["site"] == SITE and body["suppressed"] == 0 and body["text"].startswith("【")


def test_a_robot_that_refuses_with_an_errcode_is_a_failed_delivery(capture: Capture) -> None:
    capture.answer = (200, {"errcode": 310000, "errmsg": "sign not match"})
    with pytest.raises(DeliveryError, match="errcode 310000 sign not match"):
        _send(alarms_config(capture), "dingtalk")


def test_http_errors_and_a_target_that_is_down_are_failed_deliveries(robot: Robot) -> None:
    cfg = alarms_config(robot.capture)
    with pytest.raises(DeliveryError, match="ConnectionRefused|Connection refused"):
        _send(cfg, "json")
    robot.up().answer = (503, {"error": "busy"})
    with pytest.raises(DeliveryError, match="HTTP 503"):
        _send(cfg, "json")


def test_mail_reaches_the_smtp_server_in_chinese_and_english(smtp: Smtp) -> None:
    cfg = alarms_config(smtp=smtp)
    assert _send(cfg, "mail") == "SMTP accepted"
    [mail] = smtp.inbox.mails
    assert smtp.inbox.envelopes == [("gate@plant.test", ["qa@plant.test", "ops@plant.test"])]
    assert str(make_header(decode_header(mail["Subject"]))) == "[一号搅拌站 Plant 1] 拒收 Load rejected 车道 Lane 2 京A·S1234"
    body = mail.get_payload(decode=True).decode(mail.get_content_charset())
    assert "车牌 Plate: 京A·S1234" in body and "时间 Time: 2026-12-04 18:00:00 (Asia/Shanghai)" in body


def test_starttls_asked_of_a_server_without_it_fails_rather_than_sending_in_clear(smtp: Smtp) -> None:
    channel = EmailChannel(kind="email", host="127.0.0.1", port=smtp.port, starttls=True, sender="g@p.test",
                           to=["qa@p.test"])
    with pytest.raises(DeliveryError, match="STARTTLS|starttls"):
        deliver(channel, REJECT, SITE, TZ, 0, T0)
    assert smtp.inbox.mails == []


def test_a_secret_named_in_the_environment_but_missing_fails_the_delivery_by_name(capture: Capture,
                                                                                  monkeypatch) -> None:
    monkeypatch.delenv("INTAKE_TEST_NO_SUCH_SECRET", raising=False)
    cfg = AlarmsConfig.model_validate({"channels": {"dd": {"kind": "dingtalk", "url": capture.url("/dd"),
                                                           "secret": "env:INTAKE_TEST_NO_SUCH_SECRET"}}})
    with pytest.raises(DeliveryError, match="env:INTAKE_TEST_NO_SUCH_SECRET is not set"):
        deliver(cfg.channels["dd"], REJECT, SITE, TZ, 0, T0)
    assert capture.posts == []   # never posted unsigned
    monkeypatch.setenv("INTAKE_TEST_NO_SUCH_SECRET", "SECx")
    deliver(cfg.channels["dd"], REJECT, SITE, TZ, 0, T0)
    assert "sign" in capture.posts[0].query


def test_a_long_detail_is_cut_to_fit_a_robot_message(capture: Capture) -> None:
    long = REJECT.model_copy(update={"event": "chain_failure", "detail": "x" * 5000})
    deliver(alarms_config(capture).channels["wecom"], long, SITE, TZ, 0, T0)
    content = capture.posts[0].body["text"]["content"]
    assert len(content.encode("utf-8")) < 2048 and "x" * 299 + "…" in content


def test_mail_carries_date_and_message_id(smtp: Smtp) -> None:
    _send(alarms_config(smtp=smtp), "mail")
    mail = smtp.inbox.mails[0]
    assert mail["Date"] == "Fri, 04 Dec 2026 10:00:00 +0000" and mail["Message-ID"].endswith("@plant.test>")


def _self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "smtp.crt", folder / "smtp.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def test_starttls_with_the_plants_ca_delivers_and_an_unknown_certificate_is_refused(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    inbox = Inbox()
    port = free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=tls, require_starttls=True)
    server.start()
    try:
        trusted = EmailChannel(kind="email", host="127.0.0.1", port=port, starttls=True, ca_file=cert,
                               sender="g@p.test", to=["qa@p.test"])
        assert deliver(trusted, REJECT, SITE, TZ, 0, T0) == "SMTP accepted"
        unknown = trusted.model_copy(update={"ca_file": None})   # the system store does not know it
        with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
            deliver(unknown, REJECT, SITE, TZ, 0, T0)
        plain = trusted.model_copy(update={"starttls": False, "ca_file": None})   # the server insists on TLS
        with pytest.raises(DeliveryError):
            deliver(plain, REJECT, SITE, TZ, 0, T0)
    finally:
        server.stop()
    assert len(inbox.mails) == 1 and "车牌 Plate: 京A·S1234" in inbox.mails[0].get_payload(decode=True).decode("utf-8")
