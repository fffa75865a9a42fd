"""A model promoted while the gate runs: the trucks already in flight finish with the model
they started with, the next inspections judge with the promoted one, no truck is lost, and
every inspection names the model that judged it."""
from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from sqlmodel import Session, col, select

from intake.demo.runner import DemoOptions, run_demo
from intake.learning import registry
from intake.store.tables import Decision, Inspection
from tests.intake.learning.test_learning_loop import _clone
from tests.intake.learning.test_registry import _figures
from vision.compare import Comparison
from vision.model_card import sha256_file

SHIPPED = Path("models/intake-classifier/model.onnx")


def test_a_promotion_mid_run_changes_the_model_between_inspections(tmp_path: Path) -> None:
    clone = _clone(SHIPPED.resolve(), tmp_path / "clone")     # same network, another SHA-256
    old, new = sha256_file(SHIPPED), sha256_file(clone)
    out: list[dict] = []
    gates: list = []
    done = threading.Event()

    def promote_after_first_inspection(gate) -> None:
        """While the gate runs: once the first load is inspected, promote the clone."""
        engine, data = gate.records.engine, gate.cfg.site.data_dir
        while not done.is_set():
            with Session(engine) as session:
                if session.exec(select(Inspection.id)).first() is not None:
                    break
            time.sleep(0.05)
        registry.record_evaluation(engine, Comparison(dataset="test", candidate=_figures(new, 0.0, 0.5),
                                                      current=_figures(old, 0.0, 0.5), worse=[]), "tester")
        registry.promote(engine, data, gate.cfg.model.path, clone, "boss", "equal figures")

    def on_gate(gate, _url) -> None:
        gates.append(gate)
        threading.Thread(target=promote_after_first_inspection, args=(gate,), daemon=True).start()

    opts = DemoOptions(trucks=4, speed=50, db=f"sqlite:///{tmp_path / 'gate.db'}", web=False, sampling_rate=1.0,
                       data_dir=tmp_path / "data")
    try:
        code = asyncio.run(asyncio.wait_for(run_demo(opts, out.append, on_gate=on_gate), 240))
    finally:
        done.set()
    assert code == 0 and len(out) == 4
    with Session(gates[0].records.engine) as session:
        shas = [i.model_sha256 for i in session.exec(select(Inspection).order_by(col(Inspection.id)))]
        decided = {d.visit_id for d in session.exec(select(Decision))}
    assert {t["visit"] for t in out} <= decided                # every truck has its decision
    assert shas[0] == old and shas[-1] == new and set(shas) <= {old, new}
    assert shas == sorted(shas, key=lambda s: s == new)       # once swapped, never back
    # The promoted model came into the gate's one session pool as a second generation, under
    # the same bound; no frame was refused a session across the swap.
    pool = gates[0].pool.stats()
    assert pool.generations == 2 and pool.sessions_created == 2 * pool.sessions
    assert pool.peak_in_flight <= pool.sessions and pool.busy == 0 and pool.in_flight == 0
