"""Real transports for the alarm tests: an HTTP server in a thread that records every post (and
answers like a robot, or refuses), a local SMTP server (aiosmtpd), a gate database on a real
SQLite file, and an injected clock."""
from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller

from sqlalchemy.engine import Engine

from intake.alarms.config import AlarmsConfig
from intake.store.db import open_engine
from tests.intake.store.conftest import KEY

T0 = datetime(2026, 12, 4, 10, 0, 0, tzinfo=timezone.utc)   # 18:00 in Asia/Shanghai


@dataclass
class Posted:
    path: str
    query: dict[str, list[str]]
    body: Any
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Capture:
    """The posts a robot endpoint received; `answer` is what it says back (status, JSON)."""
    port: int
    posts: list[Posted] = field(default_factory=list)
    answer: tuple[int, dict[str, Any]] = (200, {"errcode": 0, "errmsg": "ok"})

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _handler(capture: Capture) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:   # noqa: N802 (http.server's name)
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            parts = urlsplit(self.path)
            capture.posts.append(Posted(parts.path, parse_qs(parts.query), json.loads(raw.decode("utf-8")),
                                        self.headers.get("Content-Type", ""), dict(self.headers.items())))
            status, body = capture.answer
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass
    return Handler


class Robot:
    """Start and stop the capture server on one fixed port (a target that goes down and up)."""

    def __init__(self, port: int) -> None:
        self.capture = Capture(port)
        self._server: ThreadingHTTPServer | None = None

    def up(self) -> Capture:
        server = ThreadingHTTPServer(("127.0.0.1", self.capture.port), _handler(self.capture))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._server = server
        return self.capture

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def robot() -> Iterator[Robot]:
    r = Robot(free_port())
    yield r
    r.down()


@pytest.fixture
def capture(robot: Robot) -> Capture:
    return robot.up()


class Inbox:
    def __init__(self) -> None:
        self.mails: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:   # noqa: N802 (aiosmtpd's name)
        self.mails.append(message_from_bytes(envelope.content))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


@dataclass
class Smtp:
    port: int
    inbox: Inbox


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield Smtp(port, inbox)
    controller.stop()


class Clock:
    def __init__(self, at: datetime = T0) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = open_engine(f"sqlite:///{tmp_path / 'gate.db'}", KEY)
    yield eng
    eng.dispose()


def alarms_config(capture: Capture | None = None, smtp: Smtp | None = None, **extra: Any) -> AlarmsConfig:
    """Every channel kind at the local servers, and one rule per event to all of them."""
    channels: dict[str, Any] = {}
    if capture is not None:
        channels |= {"wecom": {"kind": "wecom", "url": capture.url("/wecom?key=abc")},
                     "dingtalk": {"kind": "dingtalk", "url": capture.url("/dingtalk?access_token=t0k"),
                                  "secret": "SECtest-secret"},
                     "json": {"kind": "json", "url": capture.url("/json")}}
    if smtp is not None:
        channels["mail"] = {"kind": "email", "host": "127.0.0.1", "port": smtp.port, "sender": "gate@plant.test",
                            "to": ["qa@plant.test", "ops@plant.test"]}
    raw: dict[str, Any] = {"channels": channels, "timezone": "Asia/Shanghai",
                           "rules": [{"event": "reject", "channels": list(channels), "every_min": 10}]}
    raw.update(extra)
    return AlarmsConfig.model_validate(raw)


ROOT = Path(__file__).resolve().parents[3]


def site_toml(tmp_path: Path, alarms: str) -> Path:
    """The demo's site config with an [alarms] section appended, as a file for the CLI."""
    text = (ROOT / "intake/demo/demo.toml").read_text(encoding="utf-8")
    path = tmp_path / "gate.toml"
    path.write_text(text + "\n" + alarms, encoding="utf-8")
    return path
