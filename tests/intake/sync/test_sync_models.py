"""The model registry's records (versions, evaluations, promotions, rollbacks) are chained
like any other: they reach the central PostgreSQL, where verify_site re-checks them."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from intake.learning import registry
from intake.sync.client import catch_up
from intake.sync.outbox import local_head
from tests.intake.learning.test_registry import _evaluate, _model
from tests.intake.sync.conftest import KEY, SITE
from tests.intake.sync.test_sync import counts, verified


def test_registry_records_are_forwarded_and_verify_at_the_centre(gate, central, tmp_path: Path) -> None:
    gate.write(2)
    base, cand = _model(tmp_path / "base", b"base"), _model(tmp_path / "cand", b"cand")
    _evaluate(gate.engine, cand, base, fp=0.0, good=0.6)
    registry.promote(gate.engine, tmp_path / "data", base, cand, "boss", "better on the plant's loads")
    registry.rollback(gate.engine, "boss", "wet sand misread")
    head = local_head(gate.engine)
    assert head == gate.records + 1 + 2 + 2    # evaluation, two versions, promotion and rollback
    done = catch_up(gate.engine, central, SITE, KEY, batch_size=4)
    assert done.high_seq == head and counts(central) == (head, 1, head)
    verified(central, head)
    with central.connect() as conn:
        tables = dict(conn.execute(text("SELECT table_name, count(*) FROM central_record "
                                        "WHERE table_name LIKE 'model%' GROUP BY 1")).all())
    assert tables == {"model_evaluation": 1, "model_version": 2, "model_promotion": 2}
