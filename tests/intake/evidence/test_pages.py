"""The ticket's verify page /t/<code> shows the deck snapshots of its delivery as thumbnails,
served only for that ticket's visit and only while file and record still match; a changed file,
an edited record and a missing view are said as such."""
from __future__ import annotations

import hashlib
import sqlite3

import pytest
from fastapi.testclient import TestClient

from intake.lane.status import StatusHub
from intake.web.app import create_app
from tests.intake.evidence.helpers import photograph
from tests.intake.ticket.conftest import db_path, records, tickets, visits  # noqa: F401 - fixtures


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def client(records, data_dir):  # noqa: F811
    with TestClient(create_app(StatusHub(), engine=records.engine, data_dir=data_dir,
                               ticket_tz="Asia/Shanghai")) as client:
        yield client


def snapshots(html: str) -> list[str]:
    import re

    return re.findall(r'data-testid="snapshot" data-state="([a-z_]+)" data-view="([a-z]+)"', html)


def test_the_ticket_page_shows_each_view_of_both_weighings(client, records, tickets, visits, data_dir, tmp_path):  # noqa: F811
    rows = photograph(records, data_dir, visits[0], tmp_path / "cams", broken_view="cab")
    html = client.get(f"/t/{tickets[0].code}").text
    assert "过磅抓拍" in html and "Deck evidence" in html and "进场称重" in html and "出场称重" in html
    assert snapshots(html) == [("missing", "cab"), ("ok", "front"), ("ok", "rear")] * 2   # views by name
    assert "view missing" in html and "cannot open" in html
    shown = [r for r in rows if r.path]
    for row in shown:
        assert f"/t/{tickets[0].code}/evidence/{row.id}" in html
        image = client.get(f"/t/{tickets[0].code}/evidence/{row.id}")
        assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
        assert hashlib.sha256(image.content).hexdigest() == row.sha256
    # Another ticket's code does not open this delivery's snapshots, nor does a made-up one.
    assert client.get(f"/t/{tickets[1].code}/evidence/{shown[0].id}").status_code == 404
    assert client.get(f"/t/AAAAAAAAAAAAAAAA/evidence/{shown[0].id}").status_code == 404
    # Staff route: login first.
    staff_only = client.get(f"/evidence/{shown[0].id}", follow_redirects=False)
    assert staff_only.status_code == 303 and staff_only.headers["location"].startswith("/login")


def test_a_changed_file_is_flagged_and_not_served(client, records, tickets, visits, data_dir, tmp_path):  # noqa: F811
    rows = photograph(records, data_dir, visits[0], tmp_path / "cams")
    victim = rows[0]
    path = data_dir / victim.path
    path.write_bytes(path.read_bytes()[:-100] + b"\0" * 100)
    html = client.get(f"/t/{tickets[0].code}").text
    assert ("changed", victim.view) in snapshots(html) and "file changed" in html and "抓拍文件或记录被改动" in html
    assert f"/evidence/{victim.id}\"" not in html
    assert client.get(f"/t/{tickets[0].code}/evidence/{victim.id}").status_code == 409


def test_an_edited_record_is_flagged_and_not_served(client, records, tickets, visits, data_dir, tmp_path, db_path):  # noqa: F811
    rows = photograph(records, data_dir, visits[0], tmp_path / "cams")
    victim = rows[1]
    con = sqlite3.connect(db_path)
    with con:   # someone swaps in another photo and its hash behind the gate's back
        con.execute("UPDATE deck_snapshot SET sha256 = ? WHERE id = ?", ("0" * 64, victim.id))
    con.close()
    html = client.get(f"/t/{tickets[0].code}").text
    assert ("record_changed", victim.view) in snapshots(html) and "record fails verification" in html
    assert client.get(f"/t/{tickets[0].code}/evidence/{victim.id}").status_code == 409
