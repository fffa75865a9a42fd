"""The driver kiosk in a real browser: Debian's Chromium driven by Playwright.

The app runs on uvicorn in a thread; the test plays the gate by publishing lane snapshots
(through server.call, onto the server's loop) and checks the page follows them live, shows
the connection-lost banner while the server is down and clears it when it is back.
Screenshots go to test-artifacts/screenshots/kiosk-*.png for a human to look at.

Chromium comes from the system (.ci/chromium.sh), never from `playwright install`.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from intake.lane.status import LaneStatus, LaneStep, Receipt, StatusHub
from intake.web.app import create_app
from intake.web.server import WebServer
from tests.e2e.browser_support import SCREENSHOTS

VIEWPORT = {"width": 1920, "height": 1080}
HEARTBEAT_S = 1.0  # short, so the page's dead-link watchdog is exercised at test speed
LIVE_TIMEOUT_MS = 5000



@pytest.fixture
def app(hub: StatusHub) -> FastAPI:
    return create_app(hub, heartbeat_s=HEARTBEAT_S)


@pytest.fixture
def server(app: FastAPI) -> Iterator[WebServer]:
    server = WebServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A kiosk-sized page that fails the test on any script error or CSP violation."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))

    def on_console(message: ConsoleMessage) -> None:
        # A refused connection while the server is down is expected; anything else is not.
        if message.type == "error" and "ERR_CONNECTION_REFUSED" not in message.text:
            errors.append(f"console: {message.text}")

    page.on("console", on_console)
    yield page
    context.close()
    assert not errors, errors


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"kiosk-{name}.png"))


def publish(server: WebServer, hub: StatusHub, **fields: object) -> None:
    server.call(hub.publish, LaneStatus(lane="1", **fields))  # type: ignore[arg-type]


def test_kiosk_follows_a_truck_live(server: WebServer, hub: StatusHub, page: Page) -> None:
    expect.set_options(timeout=LIVE_TIMEOUT_MS)
    page.goto(f"{server.url}/kiosk/1")
    instruction, weight = page.get_by_test_id("instruction"), page.get_by_test_id("weight")
    expect(instruction).to_contain_text("请驶上地磅")
    expect(instruction).to_contain_text("Please drive onto the scale")
    expect(weight).to_contain_text("— —")
    expect(page.get_by_test_id("connection")).to_be_hidden()
    shot(page, "idle")

    truck = {"plate": "苏A·D7315", "material": "sand", "visit": "V-0001"}
    publish(server, hub, step=LaneStep.POSITIONING, weight_kg=18250, weight_stable=False, **truck)
    expect(instruction).to_contain_text("请完全驶上地磅并停车")
    expect(page.get_by_test_id("plate")).to_have_text("苏A·D7315")
    for kg in (31200, 32410, 32480):
        publish(server, hub, step=LaneStep.WEIGHING_IN, weight_kg=kg, weight_stable=False, **truck)
    expect(weight).to_contain_text("32 480")
    expect(page.get_by_test_id("stability")).to_contain_text("波动")
    publish(server, hub, step=LaneStep.WEIGHING_IN, weight_kg=32480, weight_stable=True, **truck)
    expect(page.get_by_test_id("stability")).to_contain_text("稳定")
    expect(instruction).to_contain_text("正在称重，请勿移动")
    shot(page, "weighing")

    on = {"weight_kg": 32480, "weight_stable": True, **truck}
    publish(server, hub, step=LaneStep.SAMPLING, probe="press", points_done=0, points_total=6, **on)
    expect(instruction).to_contain_text("请下车到安全区")   # the sampler interlock needs the driver out
    expect(page.get_by_test_id("verdict")).to_be_hidden()
    expect(page.get_by_test_id("points")).to_be_hidden()
    publish(server, hub, step=LaneStep.SAMPLING, probe="confirmed", points_done=0, points_total=6, **on)
    expect(instruction).to_contain_text("已确认，请留在安全区")   # the press was taken
    expect(page.get_by_test_id("points")).to_contain_text("已取样 0 / 6 点")
    publish(server, hub, step=LaneStep.SAMPLING, probe="running", points_done=4, points_total=6, **on)
    expect(page.get_by_test_id("points")).to_contain_text("Core 4 of 6 taken")
    expect(page.locator('[data-field="points-bar"]')).to_have_attribute("value", "4")
    shot(page, "sampling")
    publish(server, hub, step=LaneStep.INSPECTING, probe="done", points_done=6, points_total=6, **on)
    expect(instruction).to_contain_text("请回到驾驶室")
    expect(page.get_by_test_id("points")).to_be_hidden()

    reasons = ["wrong_material", "label=clean_gravel"]
    publish(server, hub, step=LaneStep.DECIDED, verdict="reject", route="return", reasons=reasons, **on)
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_be_visible()
    expect(verdict).to_contain_text("不合格")
    expect(verdict).to_contain_text("REJECTED")
    expect(verdict).to_have_class("verdict verdict-reject")
    expect(page.get_by_test_id("reasons")).to_contain_text("物料与订单不符")   # wrong_material, for the driver
    expect(page.get_by_test_id("reasons")).to_contain_text("Material does not match the order")
    expect(instruction).to_contain_text("不合格，请从退回通道离开")
    shot(page, "reject")

    publish(server, hub, step=LaneStep.DECIDED, verdict="pass", route="plant", **on)
    expect(instruction).to_contain_text("合格，请驶入厂区卸料")
    expect(verdict).to_contain_text("合格")
    expect(verdict).to_have_class("verdict verdict-pass")
    expect(page.get_by_test_id("reasons")).to_have_text("")
    shot(page, "pass")

    receipt = Receipt(gross_kg=32480, tare_kg=14210, net_kg=18270, received=True, ticket=1042)
    publish(server, hub, step=LaneStep.LEAVING, verdict="pass", route="return", receipt=receipt,
            weight_kg=14210, weight_stable=True, **truck)
    shown = page.get_by_test_id("receipt")
    expect(shown).to_contain_text("毛重")
    expect(shown).to_contain_text("32 480 kg")
    expect(shown).to_contain_text("14 210 kg")
    expect(shown).to_contain_text("18 270 kg")
    expect(page.get_by_test_id("ticket")).to_contain_text("1042")
    shot(page, "leaving")

    publish(server, hub, step=LaneStep.OUT_OF_SERVICE, fault="scale_stale: no frame for 2.1 s")
    expect(page.get_by_test_id("receipt")).to_be_hidden()
    expect(page.get_by_test_id("step")).to_contain_text("暂停服务")
    expect(page.get_by_test_id("fault")).to_contain_text("scale_stale")
    expect(verdict).to_be_hidden()
    expect(page.get_by_test_id("plate")).to_have_text("— —")
    shot(page, "out-of-service")


def test_banner_while_server_is_down(app: FastAPI, server: WebServer, hub: StatusHub, page: Page) -> None:
    expect.set_options(timeout=LIVE_TIMEOUT_MS)
    page.goto(f"{server.url}/kiosk/1")
    banner = page.get_by_test_id("connection")
    publish(server, hub, step=LaneStep.WEIGHING_IN, weight_kg=25010, weight_stable=True)
    expect(page.get_by_test_id("weight")).to_contain_text("25 010")
    expect(banner).to_be_hidden()

    server.stop()
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("连接中断")
    expect(banner).to_contain_text("Connection lost")
    shot(page, "offline")

    again = WebServer(app, port=server.port)
    again.start()
    try:
        expect(banner).to_be_hidden()
        again.call(hub.publish, LaneStatus(lane="1", step=LaneStep.LEAVING, weight_kg=0, weight_stable=True))
        expect(page.get_by_test_id("instruction")).to_contain_text("称重完成，请驶离地磅")
    finally:
        again.stop()
