"""The kiosk tells a refused driver why, and shows recorded reasons in both languages."""
from __future__ import annotations

from fastapi.testclient import TestClient

from intake.lane.status import LaneStatus, LaneStep, StatusHub
from intake.web.app import create_app
from intake.web.i18n import REASONS, REFUSALS


def page(status: LaneStatus) -> str:
    hub = StatusHub()
    hub.publish(status)
    with TestClient(create_app(hub)) as client:
        return client.get("/kiosk/1").text


def test_a_refused_truck_is_told_why_in_chinese_and_english():
    html = page(LaneStatus(lane="1", step=LaneStep.IDLE, plate="京X·00000", reasons=["unknown_vehicle"]))
    zh, en = REFUSALS["unknown_vehicle"]
    assert zh in html and en in html


def test_verdict_reasons_are_translated_and_unknown_codes_shown_as_given():
    html = page(LaneStatus(lane="1", step=LaneStep.DECIDED, verdict="reject",
                           reasons=["foreign_matter", "quality:blur"]))
    assert REASONS["foreign_matter"][0] in html and REASONS["foreign_matter"][1] in html
    assert "quality:blur" in html


def test_a_lane_closed_by_the_watchdog_says_so_in_both_languages():
    html = page(LaneStatus(lane="1", step=LaneStep.OUT_OF_SERVICE, fault="watchdog:inspection:hung"))
    zh, en = REFUSALS["watchdog"]
    assert zh in html and en in html
