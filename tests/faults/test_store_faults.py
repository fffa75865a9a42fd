"""A store that stops taking records (read-only database): the lane goes out of service, says
why on the kiosk, admits nobody, and loses nothing already recorded."""
from __future__ import annotations

import asyncio

from sqlalchemy import event
from sqlmodel import Session, create_engine, select

from intake.demo.runner import DemoOptions, run_demo
from intake.lane.status import LaneStep
from intake.store.tables import Decision, Weighing


def test_a_read_only_database_takes_the_lane_out_of_service(tmp_path):
    out: list[dict] = []
    gates: list = []
    seen: list = []

    def on_truck_done(summary: dict) -> None:
        out.append(summary)
        if len(out) == 1:
            # From now on every new connection refuses writes, as a read-only file would.
            engine = gates[0].records.engine
            event.listen(engine, "connect", lambda conn, _rec: conn.execute("PRAGMA query_only = 1"))
            engine.dispose()

    async def scenario() -> int:
        opts = DemoOptions(trucks=2, speed=50, db=f"sqlite:///{tmp_path / 'gate.db'}", web=False,
                           sampling_rate=0.0, data_dir=tmp_path / "data")
        task = asyncio.create_task(run_demo(opts, on_truck_done, on_gate=lambda g, _u: gates.append(g)))
        while not task.done():
            if gates and (status := gates[0].hub.latest("1")) is not None:
                seen.append(status)
            await asyncio.sleep(0.02)
        return task.result()

    code = asyncio.run(asyncio.wait_for(scenario(), timeout=240))
    assert code == 1 and len(out) == 1                   # the second truck was never admitted
    faults = [s for s in seen if s.step is LaneStep.OUT_OF_SERVICE]
    assert faults and all(s.fault.startswith("store:") for s in faults)
    assert all(s.verdict != "pass" for s in faults)
    # Read back through a fresh engine: the gate's own still refuses writes.
    with Session(create_engine(f"sqlite:///{tmp_path / 'gate.db'}")) as session:
        weights = {(w.visit_id, w.kind): w.weight_kg for w in session.exec(select(Weighing))}
        decided = {d.visit_id for d in session.exec(select(Decision))}
    first = out[0]   # everything acknowledged before the store failed is still there
    assert weights[(first["visit"], "in")] == first["gross_kg"] and weights[(first["visit"], "out")] == first["tare_kg"]
    assert first["visit"] in decided
    assert sum(kind == "out" for _, kind in weights) == 1   # nobody weighed out after the failure
