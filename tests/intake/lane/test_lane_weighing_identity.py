"""One demo truck through the real lane (pty indicator, Modbus I/O, SQLite): both weighings
carry the scale's identity from the config, and the matching tare refreshes the stored one."""
from __future__ import annotations

import asyncio
from pathlib import Path

from sqlmodel import Session, create_engine, select

from intake.config import load_config
from intake.demo.runner import DEMO_CONFIG, DemoOptions, run_demo
from intake.store.tables import Vehicle, Weighing


def test_demo_weighings_carry_indicator_max_and_e(tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'gate.db'}"
    out: list[dict] = []
    opts = DemoOptions(trucks=1, speed=50, db=db, web=False, config=DEMO_CONFIG,
                       sampling_rate=0.0, data_dir=tmp_path / "data")
    assert asyncio.run(asyncio.wait_for(run_demo(opts, out.append), timeout=120)) == 0
    lane = load_config(DEMO_CONFIG).lanes[0]
    expected = lane.scale.identity(lane.weighing.max_kg)
    with Session(create_engine(db)) as session:
        rows = session.exec(select(Weighing)).all()
        vehicle = session.exec(select(Vehicle).where(Vehicle.plate == out[0]["plate"])).one()
    assert sorted(w.kind for w in rows) == ["in", "out"]
    for w in rows:
        assert {"indicator": w.indicator, "scale_max_kg": w.scale_max_kg,
                "scale_e_kg": w.scale_e_kg} == expected
    assert expected["indicator"] == lane.scale.protocol and expected["scale_max_kg"] == 60_000
    # Not sampled, so it leaves unloaded: its tare matched and is the new dated reference.
    assert out[0]["verdict"] is None and out[0]["reasons"] == []
    assert vehicle.stored_tare_kg == out[0]["tare_kg"] and vehicle.stored_tare_at is not None
