"""What an import would do to the master data: each row added, changed (field: old -> new)
or unchanged, and every reason it cannot be done, by line and column. Pure: the store's state
comes in as a Snapshot of plain values (codes and plates, not row ids).

The checks beyond one row's cells: a key given twice in the file; a supplier, material or
vehicle that does not exist; a row that differs from its change record (edited outside the
gate: changing it would take the forged values in as the "before"); an order with deliveries
moved to another supplier, material or vehicle (that would re-attribute loads already paid
for); and a vehicle left with two open orders (admission takes one of them, so which supplier
is paid would be a coin toss).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Literal

from intake.masterdata.csvfile import RowError
from intake.masterdata.rows import MODELS, Kind, Row

Action = Literal["added", "changed", "unchanged"]
# An order's fields that say whose load it was: frozen once a truck has delivered on it.
ATTRIBUTION = ("supplier", "material", "vehicle")


@dataclass(frozen=True)
class Snapshot:
    rows: dict[str, dict[str, Any]]               # key -> the row's current values, model field names
    suppliers: frozenset[str] = frozenset()
    materials: frozenset[str] = frozenset()
    vehicles: frozenset[str] = frozenset()
    used: frozenset[str] = frozenset()            # orders with at least one visit
    tainted: dict[str, str] = field(default_factory=dict)   # key -> why it cannot be changed


@dataclass(frozen=True)
class Change:
    line: int
    key: str
    action: Action
    values: dict[str, Any]                        # the row as it will be, key field excluded
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)   # changed: name -> (old, new)


@dataclass(frozen=True)
class Plan:
    kind: Kind
    changes: list[Change]
    errors: list[RowError]

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def writes(self) -> list[Change]:
        return [c for c in self.changes if c.action != "unchanged"]


def _references(kind: Kind, line: int, values: dict[str, Any], snap: Snapshot) -> list[RowError]:
    wanted = {"vehicles": [("supplier", snap.suppliers)],
              "orders": [("supplier", snap.suppliers), ("material", snap.materials), ("vehicle", snap.vehicles)],
              }.get(kind, [])
    return [RowError(line, name, f"no {name} {values[name]!r}") for name, known in wanted if values[name] not in known]


def _change(kind: Kind, line: int, row: Row, snap: Snapshot) -> Change:
    values = row.model_dump(exclude={row.KEY})
    current = snap.rows.get(row.key)
    if kind == "orders" and values["open"] is None:    # no `open` cell: keep the order's state
        values["open"] = True if current is None else current["open"]
    if current is None:
        return Change(line, row.key, "added", values)
    diff = {k: (current.get(k), v) for k, v in values.items() if current.get(k) != v}
    return Change(line, row.key, "changed" if diff else "unchanged", values, diff)


def _row_errors(kind: Kind, change: Change, snap: Snapshot) -> list[RowError]:
    errors = _references(kind, change.line, change.values, snap)
    if change.action == "changed" and change.key in snap.tainted:
        errors.append(RowError(change.line, None, snap.tainted[change.key]))
    if kind == "orders" and change.action == "changed" and change.key in snap.used:
        errors += [RowError(change.line, name, f"order {change.key} has deliveries: its {name} stays "
                                               f"{old!r} (close it and import a new order)")
                   for name, (old, _new) in change.fields.items() if name in ATTRIBUTION]
    return errors


def _two_open_orders(changes: list[Change], snap: Snapshot) -> list[RowError]:
    final = {code: (v["vehicle"], v["open"]) for code, v in snap.rows.items()}
    final.update({c.key: (c.values["vehicle"], c.values["open"]) for c in changes})
    open_by_vehicle: dict[str, list[str]] = defaultdict(list)
    for code, (vehicle, is_open) in sorted(final.items()):
        if is_open:
            open_by_vehicle[vehicle].append(code)
    errors = []
    for c in changes:
        codes = open_by_vehicle[c.values["vehicle"]]
        if c.action != "unchanged" and c.values["open"] and len(codes) > 1:
            errors.append(RowError(c.line, "vehicle", f"vehicle {c.values['vehicle']} would have "
                                   f"{len(codes)} open orders ({', '.join(codes)}); the gate admits "
                                   "against one: close the others"))
    return errors


def make_plan(kind: Kind, rows: list[tuple[int, Row]], snap: Snapshot,
              errors: list[RowError] | None = None,
              partial: list[tuple[int, dict[str, str]]] | None = None) -> Plan:
    """The plan for the parsed rows against the store's state; `errors` are the parse errors,
    kept with the rest so one run names every problem; `partial`, the reference cells of the
    rows that failed to parse (rows.references), are checked too."""
    found = list(errors or [])
    for line, cells in partial or []:
        found += [e for e in _references(kind, line, {**dict.fromkeys(("supplier", "material", "vehicle"), None), **cells}, snap)
                  if e.column in cells]
    first: dict[str, int] = {}
    changes: list[Change] = []
    key_name = MODELS[kind].KEY
    for line, row in rows:
        if row.key in first:
            found.append(RowError(line, key_name, f"duplicate {key_name} {row.key!r} (first on line {first[row.key]})"))
            continue
        first[row.key] = line
        change = _change(kind, line, row, snap)
        found += _row_errors(kind, change, snap)
        changes.append(change)
    if kind == "orders":
        found += _two_open_orders(changes, snap)
    found.sort(key=lambda e: (e.line, e.column or ""))
    return Plan(kind, changes, found)
