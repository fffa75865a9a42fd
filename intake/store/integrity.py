"""Integrity in service: the chain is checked at start, in the background, and row by row
as staff pages read records; a failure anywhere closes the gate to new trucks.

The state is one per database engine (like the audit key): the lanes' admission, /health,
/metrics and the staff pages all ask `state_for(engine)`.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection, Engine

from intake.store.audit import Report, format_head, verify
from intake.store.chain import GENESIS, link_mac, pk_value, row_pk
from intake.store.checkpoint import CheckpointError, read_checkpoint, write_checkpoint
from intake.store.tables import ChainLink, utcnow

log = logging.getLogger(__name__)
REFUSAL = "records_fail_verification"   # the reason a lane gives a truck while the chain is bad


@dataclass
class IntegrityState:
    ok: bool = True
    problem: str | None = None
    records: int = 0              # links checked by the last whole or since-checkpoint run
    verified_at: datetime | None = None
    duration_s: float = 0.0       # of the last run
    runs: int = 0
    whole_verified_at: datetime | None = None   # the last whole-chain verify that passed
    checkpoint: Path | None = None              # where this database's signed head is kept
    bad_rows: set[tuple[str, str]] = field(default_factory=set)   # (table, pk) seen failing on read
    # Failed only because the verifier could not run (the database busy, a read error): nothing
    # vouches for the records, so the lanes stay closed, but the next verify that passes reopens
    # them. A mismatch is evidence, and stays until the gate starts on records that verify.
    unverified: bool = False

    def fail(self, problem: str, *, could_not_run: bool = False) -> None:
        if self.ok:
            log.error("audit chain does not verify, lanes closed to new trucks: %s", problem)
            self.ok, self.problem, self.unverified = False, problem, could_not_run
        elif self.unverified and not could_not_run:
            self.problem, self.unverified = problem, False   # the evidence replaces the doubt

    def passed(self) -> None:
        """A verify ran and found the chain whole: only a could-not-run failure is lifted."""
        if not self.ok and self.unverified:
            log.warning("audit chain verifies again, lanes open to trucks (was: %s)", self.problem)
            self.ok, self.problem, self.unverified = True, None, False

    def health(self) -> dict[str, Any]:
        out: dict[str, Any] = {"integrity": "ok" if self.ok else f"failed: {self.problem}",
                               "integrity_verified_at": self.verified_at.isoformat() if self.verified_at else None}
        if not self.ok:
            out["status"] = "down"   # no lane takes a truck on records that do not verify
        return out


_STATES: "WeakKeyDictionary[Engine, IntegrityState]" = WeakKeyDictionary()


def state_for(engine: Engine) -> IntegrityState:
    return _STATES.setdefault(engine, IntegrityState())


_WHOLE = threading.Lock()   # one whole-chain verify at a time (background, exports)


def _run(engine: Engine, key: bytes, checkpoint: Path | None, whole: bool) -> Report:
    state = state_for(engine)
    if checkpoint is not None:
        state.checkpoint = checkpoint
    checkpoint = state.checkpoint
    started = time.perf_counter()
    signed = None
    if checkpoint is not None:
        try:
            signed = read_checkpoint(checkpoint, key)
        except CheckpointError as exc:
            state.fail(str(exc))
            return Report()
    # The checkpoint's link must still be there either way (a rollback); seq 0 names no link.
    head = format_head(*signed) if signed and signed[0] > 0 else None
    report = verify(engine, key, expected_head=head, since=None if whole else signed)
    state.runs += 1
    state.duration_s, state.records = time.perf_counter() - started, report.records
    if report.ok:
        state.passed()
        state.verified_at = utcnow()
        if whole:
            state.whole_verified_at = state.verified_at
        if checkpoint is not None:
            write_checkpoint(checkpoint, key, report.head_seq, report.head_mac, state.verified_at)
    else:
        first = report.problems[0]
        state.fail(f"{first.kind} at seq {first.seq} ({first.table or '-'} {first.pk or '-'}): {first.detail}")
    return report


def verify_at_start(engine: Engine, key: bytes, checkpoint: Path) -> IntegrityState:
    """From the signed checkpoint to the head (the whole chain when there is none yet)."""
    _run(engine, key, checkpoint, whole=False)
    return state_for(engine)


def verify_whole(engine: Engine, key: bytes, checkpoint: Path | None = None) -> IntegrityState:
    """Every link and every row (blocking: run it in a worker thread); moves the checkpoint on
    (the one given, else the one the start-up verify used, else none)."""
    with _WHOLE:
        _run(engine, key, checkpoint, whole=True)
    return state_for(engine)


def ensure_whole_verified(engine: Engine, key: bytes) -> IntegrityState:
    """A whole verify unless one has passed since start (or the chain already failed); waits
    for one in progress rather than running a second."""
    state = state_for(engine)
    with _WHOLE:
        if state.ok and state.whole_verified_at is None:
            _run(engine, key, None, whole=True)
    return state


def check_rows(engine: Engine, conn: Connection, key: bytes, table: Table, pks: Iterable[object]) -> set[str]:
    """The primary keys among `pks` whose row does not match its own chain link (or has none).
    One query for the rows, one for their links, one for the links before them."""
    wanted = sorted({str(pk) for pk in pks if pk is not None})
    columns = list(table.primary_key.columns)
    if not wanted or len(columns) != 1:
        return set()
    column = columns[0]
    rows = {row_pk(table, dict(r)): dict(r) for r in conn.execute(
        select(table).where(column.in_([pk_value(column, p) for p in wanted]))).mappings()}
    links = {link.row_pk: link for link in conn.execute(select(ChainLink.__table__).where(
        ChainLink.table_name == table.name, ChainLink.row_pk.in_(wanted)))}
    prev = dict(conn.execute(select(ChainLink.seq, ChainLink.mac).where(
        ChainLink.seq.in_([link.seq - 1 for link in links.values()]))).tuples().all())
    bad = {pk for pk, row in rows.items()
           if pk not in links or not _link_holds(key, table.name, pk, row, links[pk], prev)}
    if bad:
        state = state_for(engine)
        state.bad_rows.update((table.name, pk) for pk in bad)
        state.fail(f"{table.name} {', '.join(sorted(bad)[:5])}: row does not match its chain link")
    return bad


def _link_holds(key: bytes, table: str, pk: str, row: dict[str, Any], link: Any, prev: dict[int, str]) -> bool:
    previous = GENESIS if link.seq == 1 else prev.get(link.seq - 1)
    return previous is not None and link_mac(key, link.seq, previous, table, pk, link.record_uuid, row) == link.mac


async def run_periodic(engine: Engine, key: bytes, checkpoint: Path, interval_s: float) -> None:
    """Whole-chain verify now and every interval_s, until cancelled; a failure closes the lanes."""
    while True:
        try:
            await asyncio.to_thread(verify_whole, engine, key, checkpoint)
        except Exception as exc:   # the verifier itself failing is no proof the chain is good
            log.exception("background chain verify failed")
            state_for(engine).fail(f"verify could not run: {type(exc).__name__}", could_not_run=True)
        await asyncio.sleep(interval_s)
