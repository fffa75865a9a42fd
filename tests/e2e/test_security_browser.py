"""The staff pages' security cases in a real browser (Debian's Chromium via Playwright): path
traversal on frames, a cross-site form post (CSRF), session fixation, role escalation and the
kiosk reaching nothing else. The HTTP-level variants are in tests/intake/web/test_staff_security.py;
here the browser's own cookie and origin rules are in play."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from intake.auth.users import Users
from intake.lane.status import LaneStatus, StatusHub
from intake.store.reviews import Review
from intake.web.app import create_app
from intake.web.server import WebServer
from tests.e2e.browser_support import SCREENSHOTS
from tests.intake.web.review_seed import Seeded, add_item, day, make_engine, plates, seed_master

PASSWORD = "correct horse battery"
ATTACKER = "http://attacker.invalid"


@dataclass
class Site:
    url: str
    engine: Engine
    item: Seeded


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("secure")
    engine = make_engine(root / "gate.db")
    seed_master(engine)
    sand, _gravel = plates()
    item = add_item(engine, root / "data", plate=sand, verdict="reject", label="muddy", reasons=["muddy"],
                    at=day(0), probs={"muddy": 0.9, "clean_sand": 0.1})
    Users(engine).add("rev", PASSWORD, "reviewer")
    Users(engine).add("adm", PASSWORD, "admin")
    hub = StatusHub()
    hub.publish(LaneStatus(lane="1"))
    server = WebServer(create_app(hub, engine=engine, data_dir=root / "data"))
    server.start()
    yield Site(server.url, engine, item)
    server.stop()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


def log_in(page: Page, url: str, user: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/review$"))


def session_cookie(context: BrowserContext) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == "intake-session"), None)


def reviews_written(site: Site) -> int:
    with Session(site.engine) as session:
        return len(session.exec(select(Review)).all())


@pytest.mark.parametrize("path", ["/frames/..%2f..%2fgate.db", "/frames/%2e%2e/%2e%2e/gate.db",
                                  "/frames/1%00.png", "/static/..%2f..%2f..%2fstore%2fdb.py"])
def test_traversal_from_the_address_bar_gets_nothing(site: Site, context: BrowserContext, path: str) -> None:
    page = context.new_page()
    log_in(page, site.url, "rev")
    reply = page.goto(site.url + path)
    assert reply is not None and reply.status in (400, 404)
    assert "SQLite format" not in page.content() and "def open_engine" not in page.content()


def test_a_cross_site_form_post_is_refused(site: Site, context: BrowserContext) -> None:
    page = context.new_page()
    log_in(page, site.url, "rev")
    before = reviews_written(site)
    # A page on another site that posts the review form on load, as a CSRF attack would.
    attack = (f'<form id="f" method="post" action="{site.url}/review/decide">'
              f'<input name="visit" value="{site.item.visit}"><input name="seen" value="{site.item.decision}">'
              '<input name="verdict" value="pass"><input name="label" value="clean_sand">'
              '<input name="reason" value="forged"></form><script>document.getElementById("f").submit()</script>')
    page.route(f"{ATTACKER}/**", lambda route: route.fulfill(body=attack, content_type="text/html"))
    with page.expect_response(f"{site.url}/review/decide") as posted:
        page.goto(f"{ATTACKER}/win-a-prize")
    assert posted.value.status == 403
    assert reviews_written(site) == before
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "review-csrf-refused.png"))


def test_a_planted_session_id_is_replaced_at_login(site: Site, context: BrowserContext) -> None:
    planted = "A" * 43
    context.add_cookies([{"name": "intake-session", "value": planted, "url": site.url}])
    page = context.new_page()
    log_in(page, site.url, "rev")
    issued = session_cookie(context)
    assert issued is not None and issued != planted and len(issued) >= 22     # >= 128 bits, base64url
    other = context.browser.new_context()                                      # type: ignore[union-attr]
    other.add_cookies([{"name": "intake-session", "value": planted, "url": site.url}])
    probe = other.new_page()
    probe.goto(f"{site.url}/review")
    expect(probe).to_have_url(re.compile(r"/login\?next="))                    # the planted id is nobody
    other.close()


def test_a_reviewer_cannot_use_admin_functions(site: Site, context: BrowserContext) -> None:
    page = context.new_page()
    log_in(page, site.url, "rev")
    assert page.goto(f"{site.url}/admin/users").status == 403                 # type: ignore[union-attr]
    page.goto(f"{site.url}/review")
    token = page.evaluate("document.querySelector('input[name=csrf]').value")   # the reviewer's own, valid
    status = page.evaluate(
        """async ([url, token]) => (await fetch(url, {method: "POST", body: new URLSearchParams({csrf: token}),
             headers: {"Content-Type": "application/x-www-form-urlencoded"}})).status""",
        [f"{site.url}/admin/users/adm/disable", token])
    assert status == 403
    assert not next(u for u in Users(site.engine).list() if u.username == "adm").disabled


def test_the_kiosk_reaches_nothing_else(site: Site, context: BrowserContext) -> None:
    page = context.new_page()
    page.goto(f"{site.url}/kiosk/1")
    assert page.locator("a[href]").count() == 0 and page.locator("form").count() == 0
    for path in ("/review", "/suppliers", "/admin/users"):
        page.goto(site.url + path)
        expect(page).to_have_url(re.compile(r"/login\?next="))
    page.goto(f"{site.url}/frames/{site.item.frames[0]}")
    expect(page).to_have_url(re.compile(r"/login\?next="))                      # no frame without a login
