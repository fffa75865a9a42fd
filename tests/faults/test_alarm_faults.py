"""Alarms under a real lane fault on the simulated plant: the entry arm sticks, the lane closes
and latches until a technician resets it. The site's alarm rules tell a local robot endpoint
once that the lane closed and once which device fault closed it; the fail-safe outcome is the
one the safety suite asserts without alarms."""
from __future__ import annotations

from intake.lane.status import LaneStep
from tests.intake.alarms.conftest import Robot, free_port

from .harness import PATIENT, Technician, check_invariants, run_scenario
from .injector import FaultSpec


def _with_alarms(url: str):   # type: ignore[no-untyped-def]
    def edit(text: str) -> str:
        return text + f"""
[alarms]
timezone = "Asia/Shanghai"
poll_s = 0.05
[alarms.channels.ops]
kind = "json"
url = "{url}"
[[alarms.rules]]
event = "lane_closed"
channels = ["ops"]
[[alarms.rules]]
event = "device_fault"
channels = ["ops"]
"""
    return edit


def test_a_stuck_entry_arm_raises_lane_closed_and_device_fault_once(tmp_path) -> None:   # type: ignore[no-untyped-def]
    robot = Robot(free_port())
    capture = robot.up()
    try:
        tech = Technician(tmp_path, look_s=60.0)
        o = run_scenario(tmp_path, 2, [FaultSpec(0, "gateio.stick_entry", at="left", duration_s=60.0)],
                         setup=tech.setup, timing=PATIENT, config_text=_with_alarms(capture.url("/ops")))
        tech.done()
    finally:
        robot.down()
    check_invariants(o, touched=set())
    assert [r.returncode for r in tech.resets] == [0]
    assert any(s.step is LaneStep.OUT_OF_SERVICE for s in tech.statuses)
    got = sorted((p.body["event"], p.body["lane"], p.body["detail"]) for p in capture.posts)
    assert got == [("device_fault", "1", "barrier_entry_not_open"), ("lane_closed", "1", "barrier_entry_not_open")]
    closed = next(p.body for p in capture.posts if p.body["event"] == "lane_closed")
    assert closed["title_zh"] == "车道停止服务" and closed["faults"] == ["barrier_entry_not_open"]
    assert "故障 Fault: 入口道闸未抬起，暂停入场，请联系技术人员 / Entry barrier did not open: no entry, call the " \
           "technician (barrier_entry_not_open)" in closed["text"]
