"""The staff pages as a Chinese plant's browser shows them (Debian's Chromium via Playwright,
locale zh-CN, site zone Asia/Shanghai): the queue in Chinese first with English beside, times in
plant time, dates as YYYY-MM-DD, reasons in words, and an error page in the staff style.
Screenshots go to test-artifacts/screenshots/staff-zh-*.png."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
from playwright.sync_api import Browser, Page, expect

from intake.auth.users import Users
from intake.lane.status import LaneStatus, StatusHub
from intake.web.app import create_app
from intake.web.server import WebServer
from intake.web.staff import StaffSettings
from tests.e2e.browser_support import SCREENSHOTS
from tests.intake.web.review_seed import SEED_NOW, Seeded, add_item, day, make_engine, plates, seed_master

PASSWORD = "correct horse battery"
LATE_UTC = datetime(2026, 3, 16, 18, 30, tzinfo=timezone.utc)     # 2026-03-17 02:30 in Shanghai


@dataclass
class Site:
    url: str
    late: Seeded


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("zh")
    engine = make_engine(root / "gate.db")
    seed_master(engine)
    sand, gravel = plates()
    add_item(engine, root / "data", plate=sand, verdict="reject", label="muddy", reasons=["muddy"], at=day(0),
             probs={"muddy": 0.9, "clean_sand": 0.1})
    add_item(engine, root / "data", plate=gravel, verdict="review", label="clean_gravel",
             reasons=["low_confidence"], at=day(1), confidence=0.5)
    late = add_item(engine, root / "data", plate=sand, verdict="reject", label="foreign",
                    reasons=["foreign_matter"], at=LATE_UTC)
    Users(engine).add("li.wei", PASSWORD, "reviewer")
    hub = StatusHub()
    hub.publish(LaneStatus(lane="1"))
    server = WebServer(create_app(hub, engine=engine, data_dir=root / "data", site_tz="Asia/Shanghai",
                                  staff=StaffSettings(today=SEED_NOW.date)))
    server.start()
    yield Site(server.url, late)
    server.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    yield page
    context.close()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"staff-zh-{name}.png"), full_page=True)


def test_the_queue_in_chinese_in_plant_time(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/review")
    expect(page.get_by_role("heading", name=re.compile("登录"))).to_be_visible()
    page.get_by_label("用户名").fill("li.wei")
    page.get_by_label("密码").fill(PASSWORD)
    shot(page, "login")
    page.get_by_role("button", name=re.compile("登录")).click()
    expect(page).to_have_url(re.compile(r"/review$"))

    head = page.get_by_test_id("queue").locator("thead")
    expect(head).to_contain_text("判定时间 Decided (UTC+08:00)")
    expect(head).to_contain_text("车牌 Plate")
    rows = page.get_by_test_id("queue-row")
    expect(rows).to_have_count(3)
    late = rows.filter(has=page.locator(f'a[href="/review/{site.late.inspection}"]'))
    expect(late.get_by_test_id("decided-at")).to_have_text("2026-03-17 02:30")   # 18:30 UTC the day before
    expect(late).to_contain_text("含有杂物 Foreign matter found")
    expect(late).to_contain_text("不合格 REJECT")
    expect(late).to_contain_text("含杂物 Foreign matter")                         # the classifier's label
    expect(rows.first.get_by_test_id("decided-at")).to_have_text("2026-03-18 20:00")
    expect(page.get_by_test_id("counts")).to_contain_text("待复核 pending")
    shot(page, "queue")

    # Dates are typed and shown as YYYY-MM-DD whatever the browser's locale.
    field = page.get_by_test_id("date-from")
    expect(field).to_have_attribute("placeholder", "YYYY-MM-DD")
    field.fill("2026-03-17")
    page.get_by_role("button", name=re.compile("筛选")).click()
    expect(page).to_have_url(re.compile(r"date_from=2026-03-17"))
    expect(page.get_by_test_id("date-from")).to_have_value("2026-03-17")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    shot(page, "queue-filtered")

    late_link = f"/review/{site.late.inspection}"
    page.goto(f"{site.url}{late_link}")
    expect(page.get_by_test_id("gate-decided-at")).to_have_text("2026-03-17 02:30 (UTC+08:00)")
    expect(page.get_by_test_id("rules")).to_contain_text("含有杂物 Foreign matter found")
    shot(page, "item")

    reply = page.goto(f"{site.url}/review/999999")
    assert reply is not None and reply.status == 404
    expect(page.get_by_test_id("error-page")).to_contain_text("页面或记录不存在 Not found")
    expect(page.locator("body")).not_to_contain_text('{"detail"')
    shot(page, "error")
