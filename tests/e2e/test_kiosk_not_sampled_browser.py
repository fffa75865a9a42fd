"""A truck drawn while the gate has no model, in a real browser: the live kiosk says it was not
sampled and why, in both languages, beside the drive-in instruction of the plant barrier that
opened; the next truck's screen no longer shows it."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from intake.lane.status import LaneStatus, LaneStep, StatusHub
from intake.web.app import create_app
from intake.web.i18n import INSTRUCTIONS, REASONS
from intake.web.server import WebServer



@pytest.fixture
def server(hub: StatusHub) -> Iterator[WebServer]:
    server = WebServer(create_app(hub, heartbeat_s=1.0))
    server.start()
    yield server
    server.stop()



def test_the_kiosk_says_not_sampled_for_want_of_a_model(server: WebServer, hub: StatusHub, page: Page) -> None:
    expect.set_options(timeout=5000)
    page.goto(f"{server.url}/kiosk/1")
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_be_hidden()
    server.call(hub.publish, LaneStatus(lane="1", step=LaneStep.DECIDED, plate="沪A·S1001", verdict=None,
                                        route="plant", reasons=["not_sampled:model_unavailable"]))
    zh, en = REASONS["not_sampled:model_unavailable"]
    expect(verdict).to_be_visible()
    expect(page.get_by_test_id("reasons")).to_contain_text(zh)
    expect(page.get_by_test_id("reasons")).to_contain_text(en)
    expect(page.get_by_test_id("instruction")).to_contain_text(INSTRUCTIONS["decided.plant.unsampled"][0])
    server.call(hub.publish, LaneStatus(lane="1", step=LaneStep.ARRIVING, plate="沪A·S1002"))
    expect(verdict).to_be_hidden()
