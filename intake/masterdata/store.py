"""The store side of a master-data import: the Snapshot the plan is made against, and the plan
written in one transaction through the ORM, so every change goes through the chained change
records (intake.store.master_changes: who, why, before and after) and its guards.

The plan is made twice: once on a read-only connection (a dry run, and a bad file found without
taking the write lock the lanes need), then again inside the write transaction, against what
is there at that moment, before anything is written. Any error there, or any refusal from the
change-record guards while writing, rolls the whole import back.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from intake.masterdata.csvfile import RowError
from intake.masterdata.plan import Plan, Snapshot, make_plan
from intake.masterdata.rows import MODELS, Kind, Row
from intake.store.chain import ChainError, read_row
from intake.store.db import read_only
from intake.store.master_changes import as_actor, drift, latest_values, pending_seals, watched_values
from intake.store.tables import DeliveryOrder, Material, Supplier, Vehicle, Visit

Progress = Callable[[int, int], None]
TABLES: dict[str, Any] = {   # kind -> table class (Any: the four share no typed base)
    "materials": Material, "suppliers": Supplier, "vehicles": Vehicle, "orders": DeliveryOrder}


class ImportFailed(Exception):
    def __init__(self, plan: Plan) -> None:
        super().__init__(f"{len(plan.errors)} errors")
        self.plan = plan


def _codes(session: Session) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    suppliers = {s.id: s.code for s in session.exec(select(Supplier)) if s.id is not None}
    materials = {m.id: m.code for m in session.exec(select(Material)) if m.id is not None}
    plates = {v.id: v.plate for v in session.exec(select(Vehicle)) if v.id is not None}
    return suppliers, materials, plates


def _values(kind: Kind, obj: Any, names: tuple[dict[int, str], ...]) -> dict[str, Any]:
    suppliers, materials, plates = names
    if kind == "suppliers":
        return {"name": obj.name}
    if kind == "materials":
        return {"name": obj.name, "name_zh": obj.name_zh}
    if kind == "vehicles":
        return {"supplier": suppliers.get(obj.supplier_id), "bed_length_mm": obj.bed_length_mm,
                "bed_width_mm": obj.bed_width_mm}
    return {"supplier": suppliers.get(obj.supplier_id), "material": materials.get(obj.material_id),
            "vehicle": plates.get(obj.vehicle_id), "expected_kg": obj.expected_kg, "open": obj.is_open}


TAINT = "(edited outside the gate): run intake audit verify; it is not changed until that is resolved"


def row_drift(conn: Connection, table: Any, pk: str) -> str | None:
    """How one master row differs from its latest change record, or None when it does not (or
    is waiting to be sealed). The per-row form of master_changes.drift, for the rows an import
    changes: the whole-database scan is kept out of the write transaction."""
    name = table.__tablename__
    row = read_row(conn, table.__table__, pk)
    if row is None or (name, pk) in pending_seals(conn):
        return None
    recorded = latest_values(conn, name, pk)
    if recorded is None:
        return "has no change record"
    now = watched_values(row, name)
    differ = sorted(k for k in now if now[k] != recorded.get(k))
    return ("differs from its change record: " + ", ".join(differ)) if differ else None


def snapshot(session: Session, kind: Kind, scan_drift: bool = True) -> tuple[Snapshot, dict[str, Any]]:
    """The store's state for a plan, and the mapped rows by key (for writing). `scan_drift`:
    mark every row that differs from its change record (one pass over the master tables)."""
    names = _codes(session)
    table = TABLES[kind]
    key = MODELS[kind].KEY
    objects = {getattr(o, key): o for o in session.exec(select(table))}
    by_id = {str(o.id): k for k, o in objects.items()}
    tainted = {by_id[pk]: f"{kind[:-1]} {by_id[pk]} {detail} {TAINT}"
               for problem, name, pk, detail in (drift(session.connection()) if scan_drift else ())
               if name == table.__tablename__ and pk in by_id and problem in ("master_drift", "master_unrecorded")}
    used: frozenset[str] = frozenset()
    if kind == "orders":
        ids = set(session.exec(select(Visit.order_id).distinct()))
        used = frozenset(k for k, o in objects.items() if o.id in ids)
    snap = Snapshot(rows={k: _values(kind, o, names) for k, o in objects.items()},
                    suppliers=frozenset(names[0].values()), materials=frozenset(names[1].values()),
                    vehicles=frozenset(names[2].values()), used=used, tainted=tainted)
    return snap, objects


def _checked_plan(session: Session, kind: Kind, rows: list[tuple[int, Row]]) -> tuple[Plan, dict[str, Any]]:
    """The plan inside the write transaction: drift looked up only for the rows it changes."""
    snap, objects = snapshot(session, kind, scan_drift=False)
    plan = make_plan(kind, rows, snap)
    conn = session.connection()
    tainted = {}
    for c in plan.changes:
        if c.action == "changed" and (found := row_drift(conn, TABLES[kind], str(objects[c.key].id))):
            tainted[c.key] = f"{kind[:-1]} {c.key} {found} {TAINT}"
    if tainted:
        plan = make_plan(kind, rows, replace(snap, tainted=tainted))
    return plan, objects


def plan_import(engine: Engine, kind: Kind, rows: list[tuple[int, Row]], errors: list[RowError],
                partial: list[tuple[int, dict[str, str]]] | None = None) -> Plan:
    """The plan against the store as it is, read without the write lock (nothing written)."""
    with Session(read_only(engine)) as session:
        return make_plan(kind, rows, snapshot(session, kind)[0], errors, partial)


def run_import(engine: Engine, kind: Kind, rows: list[tuple[int, Row]], by: str, why: str,
               progress: Progress | None = None) -> Plan:
    """Write the plan in one transaction, each row's change record naming its line; raises
    ImportFailed (nothing written) on any error."""
    with as_actor(Session(engine, autoflush=False), by, why) as session:
        plan, objects = _checked_plan(session, kind, rows)
        if plan.errors:
            raise ImportFailed(plan)
        ids = [{v: k for k, v in names.items()} for names in _codes(session)]
        writes = plan.writes
        for done, change in enumerate(writes, 1):
            columns = _columns(kind, change.values, ids)
            obj = objects.get(change.key)
            if obj is None:
                obj = TABLES[kind](**{MODELS[kind].KEY: change.key, **columns})
            else:
                for name, value in columns.items():
                    setattr(obj, name, value)
            session.add(obj)
            session.info["master_why"] = f"{why} (line {change.line})"
            try:
                session.flush()
            except ChainError as exc:   # a guard refused: name the line, write nothing
                session.rollback()
                raise ImportFailed(Plan(kind, plan.changes, [RowError(change.line, None, str(exc))])) from exc
            if progress:
                progress(done, len(writes))
        session.commit()
    return plan


def _columns(kind: Kind, values: dict[str, Any], ids: list[dict[str, int]]) -> dict[str, Any]:
    """The row's column values: codes and plates turned into row ids."""
    supplier_id, material_id, vehicle_id = ids
    if kind in ("suppliers", "materials"):
        return dict(values)
    if kind == "vehicles":
        return {"supplier_id": supplier_id[values["supplier"]], "bed_length_mm": values["bed_length_mm"],
                "bed_width_mm": values["bed_width_mm"]}
    return {"supplier_id": supplier_id[values["supplier"]], "material_id": material_id[values["material"]],
            "vehicle_id": vehicle_id[values["vehicle"]], "expected_kg": values["expected_kg"],
            "is_open": values["open"]}


def counts(engine: Engine) -> dict[str, int]:
    """Rows per master table (for tests and the summary)."""
    with Session(read_only(engine)) as session:
        return {kind: len(session.exec(select(col(t.id))).all()) for kind, t in TABLES.items()}
