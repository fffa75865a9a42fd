"""The channels: what each one is sent (pure builders) and the sending (urllib, smtplib).

- WeCom group robot: `{"msgtype": "text", "text": {"content": ...}}`; it answers
  `{"errcode": 0, "errmsg": "ok"}`, any other errcode is a failed delivery.
- DingTalk custom robot: the same text body; with a secret the URL carries `timestamp` (ms) and
  `sign` = base64(HMAC-SHA256(key=secret, "timestamp\\nsecret")), URL-encoded.
- Plain JSON: the alarm's fields (messages.fields) as one object; any 2xx is delivered.
- E-mail: a text/plain UTF-8 message over SMTP, STARTTLS when configured.

Every try of one delivery carries the same id (messages.delivery_id), so a receiver can drop a
copy: a gate that crashed after a send but before marking it sent sends it again. Webhooks get
it as the `Idempotency-Key` header (and `delivery_id` in the plain JSON body, a last line
`编号 ID:` in a robot's text); a mail as its `Message-ID` (`<id@sender's domain>`, which mail
stores already deduplicate on) and an `X-Intake-Delivery-Id` header.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from intake.alarms import messages
from intake.alarms.config import EmailChannel, WebhookChannel, secret_value
from intake.alarms.messages import AlarmEvent


class DeliveryError(Exception):
    """The channel did not take the alarm; the message says why (kept in the attempt log)."""


DELIVERY_HEADER = "X-Intake-Delivery-Id"


@dataclass(frozen=True)
class Post:
    url: str
    body: dict[str, Any]
    delivery: str | None = None


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    to_sign = f"{timestamp_ms}\n{secret}".encode("utf-8")
    digest = hmac.new(secret.encode("utf-8"), to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_url(url: str, secret: str, now: datetime) -> str:
    stamp = int(now.timestamp() * 1000)
    query = urllib.parse.urlencode({"timestamp": stamp, "sign": dingtalk_sign(secret, stamp)})
    return f"{url}{'&' if '?' in url else '?'}{query}"


def webhook_post(ch: WebhookChannel, ev: AlarmEvent, site: str, tz: str, suppressed: int,
                 now: datetime, delivery: str | None = None) -> Post:
    """What is posted where, for one alarm on one webhook channel."""
    if ch.kind == "json":
        return Post(ch.url, messages.fields(ev, site, tz, suppressed, delivery), delivery)
    body = {"msgtype": "text", "text": {"content": messages.text(ev, site, tz, suppressed, delivery)}}
    secret = _secret(ch.secret)
    url = signed_url(ch.url, secret, now) if ch.kind == "dingtalk" and secret else ch.url
    return Post(url, body, delivery)


def send_post(post: Post, kind: str, timeout_s: float) -> str:
    """POST the JSON body; returns the answer's status line. Raises DeliveryError."""
    data = json.dumps(post.body, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if post.delivery:
        headers |= {"Idempotency-Key": post.delivery, DELIVERY_HEADER: post.delivery}
    request = urllib.request.Request(post.url, data=data, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as answer:   # noqa: S310 (http(s) by config)
            status, raw = answer.status, answer.read(65536)
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}") from exc
    if kind in ("wecom", "dingtalk"):
        _robot_answer(raw)
    return f"HTTP {status}"


def _robot_answer(raw: bytes) -> None:
    """WeCom and DingTalk answer 200 even when they refuse: the errcode says."""
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DeliveryError(f"robot answer is not JSON: {raw[:80]!r}") from exc
    code = answer.get("errcode") if isinstance(answer, dict) else None
    if code != 0:
        raise DeliveryError(f"robot refused: errcode {code} {answer.get('errmsg', '') if isinstance(answer, dict) else ''}")


def _secret(value: str) -> str:
    """A configured secret; one named `env:NAME` that is not set fails the delivery, saying so."""
    resolved = secret_value(value)
    if value.startswith("env:") and not resolved:
        raise DeliveryError(f"secret {value} is not set in the gate's environment")
    return resolved


def mail(ch: EmailChannel, ev: AlarmEvent, site: str, tz: str, suppressed: int, now: datetime,
         delivery: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = messages.subject(ev, site)
    msg["From"] = ch.sender
    msg["To"] = ", ".join(ch.to)
    msg["Date"] = format_datetime(now)
    domain = ch.sender.rsplit("@", 1)[1]
    msg["Message-ID"] = f"<{delivery}@{domain}>" if delivery else make_msgid(domain=domain)
    if delivery:
        msg[DELIVERY_HEADER] = delivery
    msg.set_content(messages.text(ev, site, tz, suppressed, delivery), charset="utf-8")
    return msg


def send_mail(ch: EmailChannel, msg: EmailMessage) -> str:
    try:
        with smtplib.SMTP(ch.host, ch.port, timeout=ch.timeout_s) as smtp:
            if ch.starttls:
                cafile = str(ch.ca_file) if ch.ca_file is not None else None
                smtp.starttls(context=ssl.create_default_context(cafile=cafile))
            if ch.username:
                smtp.login(ch.username, _secret(ch.password))
            refused = smtp.send_message(msg)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP: {type(exc).__name__}: {exc}") from exc
    if refused:
        raise DeliveryError(f"SMTP refused recipients: {', '.join(sorted(refused))}")
    return "SMTP accepted"


def deliver(ch: WebhookChannel | EmailChannel, ev: AlarmEvent, site: str, tz: str, suppressed: int,
            now: datetime, delivery: str | None = None) -> str:
    """Send one alarm on one channel (blocking: run it in a worker thread). Raises DeliveryError.
    `delivery`: the id every try of this delivery carries (the worker always gives one)."""
    if isinstance(ch, EmailChannel):
        return send_mail(ch, mail(ch, ev, site, tz, suppressed, now, delivery))
    return send_post(webhook_post(ch, ev, site, tz, suppressed, now, delivery), ch.kind, ch.timeout_s)
