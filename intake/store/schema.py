"""Which modules define tables: the one list. Migrations cover exactly these modules' tables
(the schema-drift test compares a freshly migrated database with them), and the chain's
registry (`intake.store.chain.chained_tables`) imports them, so sync and verify see every
chained table. Adding a table means: write the migration, then add its module here (see
intake/store/migrations/README.md); a test fails if a module with tables is missing."""
from __future__ import annotations

import importlib

from sqlalchemy import Table
from sqlmodel import SQLModel

MIGRATED_MODULES: tuple[str, ...] = (
    "intake.store.tables", "intake.metrology.tables", "intake.ident.tags", "intake.lab.results",
    "intake.sampling.tables", "intake.store.reviews", "intake.auth.tables", "intake.store.retention",
    "intake.store.lane_events", "intake.store.master_changes", "intake.ticket.tables",
    "intake.learning.tables", "intake.alarms.tables", "intake.store.attendant", "intake.evidence.tables",
    "intake.store.spotchecks",
    "intake.store.stored_tare",
)


def import_table_modules() -> None:
    for name in MIGRATED_MODULES:
        importlib.import_module(name)


def migrated_tables() -> list[Table]:
    """Tables defined by MIGRATED_MODULES (other modules may register more on the metadata)."""
    import_table_modules()
    out: list[Table] = []
    for mapper in SQLModel._sa_registry.mappers:
        # A table model's local_table is always a Table; the check only narrows the type.
        if mapper.class_.__module__ in MIGRATED_MODULES and isinstance(mapper.local_table, Table):
            out.append(mapper.local_table)
    return sorted(out, key=lambda t: t.name)
