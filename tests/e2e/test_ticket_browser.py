"""The weighing ticket's QR code, scanned and opened as a phone would: the PDF is rendered with
the live server as its base URL, the QR is pulled out of the PDF and decoded by OpenCV, and
headless Chromium opens what it says. The page shows the facts and that the chain vouches,
with its stylesheet (no CSP violation); an unknown code shows the 404 page.
Screenshots: test-artifacts/screenshots/ticket-*.png."""
from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect
from pypdf import PdfReader

from intake.lane.status import StatusHub
from intake.store.db import open_engine
from intake.store.records import Records
from intake.ticket.issue import issue_ticket
from intake.ticket.printing import save_pdf
from intake.web.app import create_app
from intake.web.server import WebServer
from tests.e2e.browser_support import SCREENSHOTS
from tests.intake.store.conftest import KEY, fill
from tests.intake.ticket.conftest import PLANT, sent_back


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Records, Path]]:
    tmp = tmp_path_factory.mktemp("tickets")
    records = Records(open_engine(f"sqlite:///{tmp / 'gate.db'}", KEY))
    for visit in [*fill(records, trucks=2), sent_back(records)]:
        issue_ticket(records.engine, visit, PLANT)
    server = WebServer(create_app(StatusHub(), engine=records.engine, ticket_tz="Asia/Shanghai"))
    server.start()
    yield server.url, records, tmp
    server.stop()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))

    def on_console(message: ConsoleMessage) -> None:
        # The 404 page's own status is logged as a failed resource; anything else is a defect.
        if message.type == "error" and "status of 404" not in message.text:
            errors.append(f"console: {message.text}")

    page.on("console", on_console)
    yield page
    context.close()
    assert not errors, errors


def _scan(pdf: bytes) -> str:
    (image,) = PdfReader(io.BytesIO(pdf)).pages[0].images
    picture = cv2.imdecode(np.frombuffer(image.data, np.uint8), cv2.IMREAD_GRAYSCALE)
    text, points, _ = cv2.QRCodeDetector().detectAndDecode(picture)
    assert points is not None and text
    return text


def test_the_scanned_qr_opens_the_vouched_ticket(site: tuple[str, Records, Path], phone: Page) -> None:
    url, records, tmp = site
    printed = save_pdf(records.engine, 3, tmp / "t.pdf", size="80mm", base_url=url, tz="Asia/Shanghai")
    target = _scan(printed.data)
    assert target.startswith(f"{url}/t/")
    response = phone.goto(target)
    assert response is not None and response.status == 200
    expect(phone.locator("#vouch")).to_contain_text("The audit chain vouches for this ticket")
    expect(phone.locator("table")).to_contain_text("出场重")
    expect(phone.locator("table")).to_contain_text("未收货")
    # The stylesheet loaded under the page's CSP: the verdict box is green.
    colour = phone.locator("#vouch").evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(227, 244, 225)"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(SCREENSHOTS / "ticket-page.png"), full_page=True)


def test_an_unknown_code_shows_the_not_found_page(site: tuple[str, Records, Path], phone: Page) -> None:
    url, _, _ = site
    response = phone.goto(f"{url}/t/AAAABBBBCCCCDDDD")
    assert response is not None and response.status == 404
    expect(phone.locator("#vouch")).to_contain_text("No such ticket")
    phone.screenshot(path=str(SCREENSHOTS / "ticket-not-found.png"), full_page=True)
