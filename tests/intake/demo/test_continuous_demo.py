"""The demo that runs for hours: a pool of distinct trucks, mostly good loads, in which a plate
comes back only after the whole pool, and `hours` ends a run on simulated time. A short run
of the real plant shows the gate's words for what it saw: no repeat-weighing holds, PASS
most of the time, and never a PASS for a muddy, foreign or wrong load."""
from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

from hardware.sim.trucks import CONTINUOUS_ROUND, DEMO_MIX, continuous_pool
from intake.demo.masterdata import ordered_material
from intake.demo.runner import DemoOptions, run_demo

BAD_LOADS = {"muddy", "foreign"}


def test_the_pool_is_distinct_trucks_mostly_good_loads() -> None:
    pool = continuous_pool()
    per_round = sum(n for _, n in CONTINUOUS_ROUND)
    assert len(pool) == 3 * per_round and len({t.plate for t in pool}) == len(pool)
    notes = Counter(t.note for t in pool)
    assert notes["good sand"] + notes["good gravel"] == 42 and notes[DEMO_MIX[7].note] == 3
    for truck in pool:   # the plate's S/G letter is still its order's material
        base = next(b for b in DEMO_MIX if b.note == truck.note)
        assert truck.registered == base.registered and truck.load_label == base.load_label
        if truck.registered:
            assert ordered_material(truck) == ordered_material(base)
    assert continuous_pool() == pool   # the same order every run


def test_a_run_for_simulated_hours_ends_on_time_with_sensible_verdicts(tmp_path: Path) -> None:
    out: list[dict] = []
    opts = DemoOptions(hours=0.25, speed=50, db=f"sqlite:///{tmp_path / 'gate.db'}", web=False,
                       data_dir=tmp_path / "data")
    code = asyncio.run(asyncio.wait_for(run_demo(opts, out.append), timeout=120))
    assert code == 0
    visits = [s for s in out if "refused" not in s]
    assert visits, out   # how many fit in the quarter hour depends on the machine, not the gate
    truth = {t.plate: t for t in continuous_pool()}
    assert not any("repeat_weighing" in s["reasons"] for s in visits)
    def bad(plate: str) -> bool:
        t = truth[plate]
        return t.load_label in BAD_LOADS or (t.load_label == "clean_gravel" and ordered_material(t) == "sand")

    assert not [s for s in visits if s["verdict"] == "pass" and bad(s["plate"])]
