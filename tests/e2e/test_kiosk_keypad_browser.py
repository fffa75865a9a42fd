"""The kiosk's order-code keypad in a real browser: a driver without a readable card keys the
code of an open order on the screen, the lane is handed that order's truck; a mistyped code
(check character) and a wrong one are answered in words, Chinese first; the keypad shows only
while the lane waits for a truck; a stranger without the display token cannot key codes."""
from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from intake.ident.ordercodes import check_char
from intake.lane.status import LaneStatus, LaneStep, StatusHub
from intake.web.app import create_app
from intake.web.i18n import LABELS
from intake.web.kiosk_keypad import OrderCodeHooks
from intake.web.server import WebServer
from tests.e2e.browser_support import SCREENSHOTS

BODY = "7K2QXMD94R"
CODE = f"PO-{BODY[:5]}-{BODY[5:]}{check_char(BODY)}"
OTHER = "ABCDEFGHJK"
TOKEN = "kiosk-screen-1"


class Lanes:
    def __init__(self) -> None:
        self.identified: list[tuple[str, str]] = []

    def plate_for_code(self, code: str) -> str | None:
        return "沪A·S1001" if code == CODE else None

    def identify(self, lane: str, plate: str) -> bool:
        if lane != "1":
            return False
        self.identified.append((lane, plate))
        return True


@pytest.fixture
def lanes() -> Lanes:
    return Lanes()



@pytest.fixture
def server(hub: StatusHub, lanes: Lanes) -> Iterator[WebServer]:
    server = WebServer(create_app(hub, heartbeat_s=1.0, kiosk_display_token=TOKEN,
                                  order_code=OrderCodeHooks(lanes.plate_for_code, lanes.identify)))
    server.start()
    yield server
    server.stop()



def key_in(page: Page, chars: str) -> None:
    pad = page.get_by_test_id("keypad")
    for char in chars:
        pad.locator(f'button[data-key="{char}"]').click()


def test_a_driver_keys_the_order_code_and_the_lane_gets_the_truck(server: WebServer, hub: StatusHub,
                                                                   lanes: Lanes, page: Page) -> None:
    expect.set_options(timeout=5000)
    page.goto(f"{server.url}/kiosk/1?display={TOKEN}")
    pad, shown, message = page.get_by_test_id("keypad"), page.get_by_test_id("keypad-code"), page.get_by_test_id("keypad-message")
    expect(pad).to_be_visible()
    expect(pad).to_contain_text(LABELS["keypad"][0])
    wrong_check = BODY + ("0" if check_char(BODY) != "0" else "1")
    key_in(page, wrong_check)
    expect(shown).to_have_text(f"PO-{wrong_check[:5]}-{wrong_check[5:]}")
    page.get_by_test_id("keypad-ok").click()
    expect(message).to_contain_text(LABELS["code_mistyped"][0])
    expect(message).to_contain_text(LABELS["code_mistyped"][1])
    pad.locator('button[data-action="clear"]').click()
    key_in(page, OTHER + check_char(OTHER))            # well formed, but no open order has it
    page.get_by_test_id("keypad-ok").click()
    expect(message).to_contain_text(LABELS["code_not_accepted"][0])
    assert lanes.identified == []
    pad.locator('button[data-action="clear"]').click()
    key_in(page, BODY + "X")
    pad.locator('button[data-action="back"]').click()  # a slip corrected
    key_in(page, check_char(BODY))
    expect(shown).to_have_text(CODE)
    page.get_by_test_id("keypad-ok").click()
    expect(message).to_contain_text(LABELS["code_accepted"][0])
    assert lanes.identified == [("1", "沪A·S1001")]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "kiosk-keypad.png"))
    server.call(hub.publish, LaneStatus(lane="1", step=LaneStep.ARRIVING, plate="沪A·S1001"))
    expect(pad).to_be_hidden()                          # only while the lane waits for a truck


def test_only_the_kiosk_screen_may_key_codes(server: WebServer, lanes: Lanes) -> None:
    stranger = httpx.post(f"{server.url}/kiosk/1/order-code", json={"code": CODE})
    assert stranger.status_code == 403 and lanes.identified == []
    screen = httpx.post(f"{server.url}/kiosk/1/order-code?display={TOKEN}", json={"code": CODE})
    assert screen.status_code == 202 and lanes.identified == [("1", "沪A·S1001")]
