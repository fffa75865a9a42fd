"""Helpers the staff-page tests share (a uniquely named module: every test folder has a
`conftest`, so importing helpers from "conftest" picks whichever was loaded first)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine

from tests.intake.web.review_seed import Seeded

STAFF_PASSWORD = "correct horse battery"


@dataclass
class Store:
    engine: Engine
    data_dir: Path
    items: list[Seeded]



def visible_text(html: str) -> str:
    """What a person reads: tags dropped, whitespace runs folded to one space."""
    import html as entities

    return re.sub(r"\s+", " ", entities.unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def read_csv(reply: httpx.Response) -> str:
    """An export as Excel reads it: UTF-8 after the byte-order mark, which must be there."""
    assert reply.content.startswith(b"\xef\xbb\xbf"), "CSV export without a UTF-8 BOM"
    return reply.content.decode("utf-8-sig")


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "page has no CSRF field"
    return found.group(1)


def login(base_url: str, user: str, password: str = STAFF_PASSWORD) -> httpx.Client:
    """A browser-like client logged in as `user` (same-origin headers, cookies kept)."""
    client = httpx.Client(base_url=base_url, headers={"Sec-Fetch-Site": "same-origin"}, timeout=10)
    form = client.get("/login")
    reply = client.post("/login", data={"csrf": csrf_of(form.text), "username": user, "password": password,
                                         "next": "/review"}, headers={"Origin": base_url})
    assert reply.status_code == 303, reply.text
    return client
