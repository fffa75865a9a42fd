"""A plant commissioning its gate: the I/O module is switched on after the gate started. The
gate serves on, the lane stays closed with the reason on the kiosk and /health, retries, and
takes trucks once the module answers; the sampler PLC absent at start makes no traceback either.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

from hardware.sim.plant import PlantTiming
from intake.demo.runner import DemoOptions, run_demo
from intake.lane.status import LaneStep
from intake.web import i18n

from .recorder import StatusRecorder

LATE_S = 120.0   # simulated seconds the I/O module is off after the gate starts (2.4 s wall at 50x)


def test_an_io_module_switched_on_after_the_gate_closes_the_lane_until_it_answers(tmp_path: Path) -> None:
    recorder, lines = StatusRecorder(), []
    opts = DemoOptions(trucks=2, speed=50, db=f"sqlite:///{tmp_path / 'gate.db'}", web=False,
                       sampling_rate=1.0, data_dir=tmp_path / "data", io_late_s=LATE_S,
                       plugins=(recorder,), plant_timing=PlantTiming(give_up_after_s=1500.0))
    code = asyncio.run(asyncio.wait_for(run_demo(opts, lines.append), timeout=240))
    seen = recorder.statuses
    assert code == 0 and len(lines) == 2, lines               # both trucks served once it answered
    closed = [s for s in seen if s.step is LaneStep.OUT_OF_SERVICE]
    assert closed and (closed[0].fault or "").startswith("gate_io_unreachable"), closed[:1]
    assert i18n.instruction(closed[0])[1] == "Gate control module not connected: no entry, call the technician"
    first_closed = seen.index(closed[0])
    assert all(s.visit is None for s in seen[:first_closed + 1])   # nobody let in meanwhile
    reopened = [s for s in seen[first_closed:] if s.step is LaneStep.IDLE and s.fault is None]
    assert reopened, "the lane never reopened after the module came up"
    assert all(line["verdict"] != "pass" or line["received"] for line in lines)
