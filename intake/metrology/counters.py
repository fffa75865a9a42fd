"""Audit-trail event counters (reference §1.A W11, W12).

Two counters, calibration and configuration, each shown as 000-999 and wrapping to 000. A
counter rises by exactly one per adjustment session in which at least one sealable parameter
changed; a session with no change leaves it alone. Each step is an `EventCounter` row (the
event logger's entry) written in the caller's transaction, so the change it records and the
step commit together or not at all.
"""
from __future__ import annotations

from typing import Any, Literal, Mapping

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.metrology.tables import EventCounter

CounterName = Literal["calibration", "configuration"]
COUNTERS: tuple[CounterName, ...] = ("calibration", "configuration")
WRAP = 1000


def display(total: int) -> int:
    """The 000-999 value an indicator shows for a never-wrapping total."""
    return total % WRAP


def changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{parameter: [old, new]} for every parameter whose value differs (added or removed too)."""
    return {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after))
            if before.get(k) != after.get(k)}


def _latest(session: Session, counter: CounterName) -> EventCounter | None:
    return session.exec(select(EventCounter).where(EventCounter.counter == counter)
                        .order_by(col(EventCounter.total).desc()).limit(1)).first()


def bump(session: Session, counter: CounterName, changes: Mapping[str, list[Any]],
         source: str) -> EventCounter | None:
    """Add the counter step for one session's changes to ``session`` (not committed).
    None, and nothing written, when nothing changed."""
    if counter not in COUNTERS:
        raise ValueError(f"unknown counter {counter!r}")
    if not changes:
        return None
    last = _latest(session, counter)
    total = (last.total if last else 0) + 1
    entry = EventCounter(counter=counter, value=display(total), total=total,
                         parameters={k: list(v) for k, v in changes.items()}, source=source)
    session.add(entry)
    return entry


def current_counters(engine: Engine) -> tuple[int, int]:
    """(calibration, configuration) as they stand: stamp these on every weighing."""
    with Session(engine) as session:
        return counters_in(session)


def counters_in(session: Session) -> tuple[int, int]:
    """The same inside a caller's session, so a weighing and its stamp share one snapshot."""
    values = []
    for name in COUNTERS:
        last = _latest(session, name)
        values.append(last.value if last else 0)
    return values[0], values[1]


def last_parameters(session: Session, counter: CounterName) -> dict[str, Any]:
    """The sealable parameters as the latest step of ``counter`` left them (new values),
    accumulated over every step: the baseline the next session is compared with."""
    state: dict[str, Any] = {}
    rows = session.exec(select(EventCounter).where(EventCounter.counter == counter)
                        .order_by(col(EventCounter.total))).all()
    for row in rows:
        for name, (_old, new) in row.parameters.items():
            if new is None:
                state.pop(name, None)
            else:
                state[name] = new
    return state


def note_configuration(engine: Engine, sealable: Mapping[str, Any], source: str) -> EventCounter | None:
    """Compare the sealable configuration in force with the last one logged; if any parameter
    differs, raise the configuration counter once and log every change. Call at gate start
    (and after any configuration reload) with JSON-able values."""
    with Session(engine) as session:
        entry = bump(session, "configuration",
                     changed(last_parameters(session, "configuration"), dict(sealable)), source)
        session.commit()
        if entry is not None:
            session.refresh(entry)
        return entry
