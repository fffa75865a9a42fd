"""One master row added by staff (`intake suppliers|vehicles|orders add`, the admin pages'
add forms): the same row model, plan and chained write as a CSV import of one line, but only
ever an addition. A row whose key exists already is refused, not changed: changing a supplier,
a vehicle or an order is an import or a correction with its own reason."""
from __future__ import annotations

from sqlalchemy.engine import Engine

from intake.masterdata.csvfile import Record
from intake.masterdata.edits import EditRefused
from intake.masterdata.rows import MODELS, Kind, parse
from intake.masterdata.store import ImportFailed, plan_import, run_import

NAMES = {"suppliers": "supplier", "vehicles": "vehicle", "orders": "order", "materials": "material"}


def add_row(engine: Engine, kind: Kind, cells: dict[str, str], by: str, why: str) -> str:
    """Add one row; returns its key (the code or plate as stored). EditRefused says why not,
    naming the field."""
    model = MODELS[kind]
    given = {k: v for k, v in cells.items() if k in model.model_fields and v is not None}
    rows, errors = parse(model, [Record(1, given)])
    if errors:
        raise EditRefused("; ".join(f"{e.column}: {e.message}" if e.column else e.message for e in errors))
    plan = plan_import(engine, kind, rows, [])
    if plan.errors:
        raise EditRefused("; ".join(e.message for e in plan.errors))
    key = rows[0][1].key
    if plan.changes and plan.changes[0].action != "added":
        raise EditRefused(f"{NAMES[kind]} {key} exists already (change it by an import or a correction)")
    try:
        run_import(engine, kind, rows, by, why)
    except ImportFailed as exc:   # another writer got there first, or a guard refused
        raise EditRefused("; ".join(e.message for e in exc.plan.errors)) from exc
    return key


def choices(reader: Engine) -> dict[str, list[tuple[str, str]]]:
    """What the add forms offer: suppliers and materials by code, with their names."""
    from sqlmodel import Session, col, select

    from intake.store.tables import Material, Supplier

    with Session(reader) as session:
        suppliers = [(s.code, s.name) for s in session.exec(select(Supplier).order_by(col(Supplier.code)))]
        materials = [(m.code, f"{m.name_zh} {m.name}") for m in session.exec(select(Material).order_by(col(Material.code)))]
    return {"suppliers": suppliers, "materials": materials}
