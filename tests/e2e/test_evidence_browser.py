"""Deck evidence in a real browser: the inspection page and the ticket's public verify page show
each view's thumbnail (the JPEGs load), a missing view says why, and a file changed on disk is
flagged and not asked for. Screenshots: test-artifacts/screenshots/evidence-*.png."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from intake.auth.users import Users
from intake.lane.status import LaneStatus, StatusHub
from intake.store.db import open_engine
from intake.store.records import Records
from intake.ticket.issue import issue_ticket
from intake.web.app import create_app
from intake.web.server import WebServer
from tests.e2e.browser_support import SCREENSHOTS
from tests.intake.evidence.helpers import photograph
from tests.intake.store.conftest import KEY, fill
from tests.intake.ticket.conftest import PLANT

PASSWORD = "correct horse battery"


@dataclass
class Site:
    url: str
    data_dir: Path
    visit: str
    code: str
    rows: list


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("evidence")
    records = Records(open_engine(f"sqlite:///{tmp / 'gate.db'}", KEY))
    visit = fill(records, trucks=1)[0]
    ticket = issue_ticket(records.engine, visit, PLANT)
    rows = photograph(records, tmp / "data", visit, tmp / "cams", broken_view="cab")
    Users(records.engine).add("li.wei", PASSWORD, "reviewer")
    hub = StatusHub()
    hub.publish(LaneStatus(lane="1"))
    server = WebServer(create_app(hub, engine=records.engine, data_dir=tmp / "data", ticket_tz="Asia/Shanghai",
                                  site_tz="Asia/Shanghai"))
    server.start()
    yield Site(server.url, tmp / "data", visit, ticket.code, rows)
    server.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """Fails on any script error or failed request, but the seeded frames' (they have no files)."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 and "/frames/" not in r.url else None)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:
            errors.append(f"console: {message.text}")

    page.on("console", on_console)
    yield page
    context.close()
    assert not errors and not failed, (errors, failed)


def loaded_images(page: Page) -> int:
    return page.locator('[data-testid="snapshot-image"]').evaluate_all(
        "imgs => imgs.filter(i => i.complete && i.naturalWidth === 640).length")


def test_the_inspection_page_and_the_ticket_page_show_the_snapshots(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/review")
    page.get_by_label("Username").fill("li.wei")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/review$"))
    page.goto(f"{site.url}/review/visit/{site.visit}")
    section = page.get_by_test_id("deck-evidence")
    expect(section).to_contain_text("过磅抓拍")
    expect(page.get_by_test_id("snapshot")).to_have_count(6)            # 3 views x weigh-in, weigh-out
    expect(page.get_by_test_id("snapshot-image")).to_have_count(4)
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=snapshot-image]')].every(i => i.complete)")
    assert loaded_images(page) == 4
    expect(page.locator('[data-view="cab"]').first).to_contain_text("view missing")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    section.screenshot(path=str(SCREENSHOTS / "evidence-review.png"))

    page.goto(f"{site.url}/t/{site.code}")
    expect(page.locator("#vouch")).to_contain_text("vouches")
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=snapshot-image]')].every(i => i.complete)")
    assert loaded_images(page) == 4


def test_a_changed_file_is_flagged_on_the_ticket_page_and_never_requested(site: Site, page: Page) -> None:
    victim = next(r for r in site.rows if r.path)
    path = site.data_dir / victim.path
    path.write_bytes(path.read_bytes()[:-64])
    page.goto(f"{site.url}/t/{site.code}")
    expect(page.get_by_test_id("evidence-changed")).to_be_visible()
    expect(page.locator(f'[data-state="changed"][data-view="{victim.view}"]')).to_contain_text("file changed")
    expect(page.get_by_test_id("snapshot-image")).to_have_count(3)
    page.screenshot(path=str(SCREENSHOTS / "evidence-ticket-changed.png"), full_page=True)
