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



def test_every_interlock_and_lane_fault_has_words_for_the_driver():
    from dataclasses import fields
    from itertools import product

    from hardware.modbus.gateio import ArmLimits
    from intake.lane.barriers import ArmOrder, arm_faults
    from intake.lane.interlocks import InterlockView
    from intake.lane.machine import BARRIERS

    # every fault the supervisor can report: each arm in each wrong position for each order
    codes = {"gate_io_frozen"}
    for name, is_open, up, down in product(BARRIERS, (False, True), (False, True), (False, True)):
        orders = {n: ArmOrder(open=is_open if n == name else False, since=0.0) for n in BARRIERS}
        limits = {n: ArmLimits(down=down, up=up) if n == name else ArmLimits(down=True, up=False)
                  for n in BARRIERS}
        codes |= set(arm_faults(orders, limits, now=100.0, travel_s=8.0))
    assert len(codes) == 1 + 3 * len(BARRIERS)
    for code in codes:
        text = page(LaneStatus(lane="1", step=LaneStep.OUT_OF_SERVICE, fault=f"{code}, gate_io_frozen"))
        zh, en = REFUSALS[code]
        assert zh in text and en in text
    interlocks = [f"interlock:{f.name}" for f in fields(InterlockView)]
    assert all(code in REASONS for code in interlocks), set(interlocks) - set(REASONS)
    both = page(LaneStatus(lane="1", step=LaneStep.DECIDED, verdict="review",
                           reasons=["interlock:truck_steady,zone_clear"]))
    assert REASONS["interlock:truck_steady"][1] in both and REASONS["interlock:zone_clear"][1] in both


def test_a_latched_lane_still_names_its_fault_until_it_is_reset():
    # The entry arm follows again, but the lane waits for a technician: the driver is still
    # told which arm and that nobody enters.
    status = LaneStatus(lane="1", step=LaneStep.OUT_OF_SERVICE, fault="barrier_entry_not_open", awaiting_reset=True)
    html = page(status)
    zh, en = REFUSALS["barrier_entry_not_open"]
    assert zh in html and en in html and en.startswith("Entry barrier")


def test_a_truck_not_sampled_for_want_of_a_model_is_told_so_and_sent_into_the_plant():
    html = page(LaneStatus(lane="1", step=LaneStep.DECIDED, verdict=None, route="plant",
                           reasons=["not_sampled:model_unavailable"]))
    verdict = html.split('data-testid="verdict"', 1)[1].split("</section>", 1)[0]
    assert not verdict.lstrip().startswith("hidden")
    zh, en = REASONS["not_sampled:model_unavailable"]
    assert zh in verdict and en in verdict
    assert "本车未抽检，请驶入厂区卸料" in html   # the words follow the arm that opened
