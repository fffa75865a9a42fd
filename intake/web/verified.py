"""What staff pages and exports read is checked against the audit chain before it is shown.

Each row a page shows is recomputed against its own link (one HMAC a row, three indexed
queries a table); a row that fails is named on the page and not shown as fact, and it closes
the lanes (intake.store.integrity). Exports go further: they need a whole-chain verify since
start (run then and there if the background one has not finished), since they carry every row
of a period.
"""
from __future__ import annotations

from collections.abc import Iterable

from fastapi import HTTPException
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from intake.store.chain import ChainError, key_for
from intake.store.integrity import check_rows, ensure_whole_verified, state_for
from intake.store.reviews import Detail, Review
from intake.store.tables import Decision, Frame, Inspection, Sample, SampleResult, Weighing

NO_KEY = "no audit key bound: records cannot be verified"


def failing(engine: Engine, reader: Engine, table: type[SQLModel], ids: Iterable[int | str | None]) -> set[int | str]:
    """The ids among `ids` whose `table` row fails its link; every id when there is no key."""
    wanted = [i for i in ids if i is not None]
    try:
        key = key_for(engine)
    except ChainError:
        return set(wanted)   # unverifiable is not verified
    with reader.connect() as conn:
        bad = check_rows(engine, conn, key, table.__table__, wanted)  # type: ignore[attr-defined]
    return {i for i in wanted if str(i) in bad}


def detail_failures(engine: Engine, reader: Engine, d: Detail) -> dict[str, set[int | str]]:
    """Failing rows of one visit's page, by table name (empty when all verify)."""
    parts: list[tuple[type[SQLModel], list[int | str | None]]] = [
        (Weighing, [w.id for w in d.weighings]), (Decision, [x.id for x in d.decisions]),
        (Review, [r.id for r in d.reviews]), (Frame, [f.id for f in d.frames]),
        (Sample, [d.sample.id] if d.sample else []),
        (SampleResult, [d.sample_result.id] if d.sample_result else []),
        (Inspection, [d.inspection.id] if d.inspection else []),
    ]
    out: dict[str, set[int | str]] = {}
    for table, ids in parts:
        bad = failing(engine, reader, table, ids)
        if bad:
            out[str(table.__tablename__)] = bad
    return out


def require_verified(engine: Engine) -> None:
    """409 unless the whole chain has verified since start (verifying it first if not yet).
    Blocking: FastAPI runs this sync dependency in its thread pool."""
    state = state_for(engine)
    if state.ok and state.whole_verified_at is None:
        try:
            ensure_whole_verified(engine, key_for(engine))
        except ChainError:
            raise HTTPException(409, NO_KEY) from None
    if not state.ok:
        raise HTTPException(409, f"records fail verification: {state.problem}")
