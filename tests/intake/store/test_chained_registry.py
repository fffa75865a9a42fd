"""Chained tables come from one place, the chain's registry: every chained class anywhere in
the gate is in it, whatever a process imported first, and sync, verify and the schema read it."""
from __future__ import annotations

import json
import subprocess
import sys

from intake.store.schema import MIGRATED_MODULES

# Every module of the gate imported (not __main__, which runs the CLI): the table classes
# that exist at all, with the module defining each and whether it is chained.
_ALL_CHAINED = """
import importlib, json, pkgutil
import intake
from sqlmodel import SQLModel
for info in pkgutil.walk_packages(intake.__path__, "intake."):
    if not info.name.endswith("__main__"):
        importlib.import_module(info.name)
print(json.dumps({m.local_table.name: [m.class_.__module__, getattr(m.class_, "__chained__", False)]
                  for m in SQLModel._sa_registry.mappers}))
"""
_REGISTRY = """
import json
from intake.store.chain import chained_tables
print(json.dumps(sorted(t.name for t in chained_tables())))
"""
# What the sync outbox and the receiver's MAC check know as typed classes in a process that
# imported nothing else (the centre only receives).
_SYNC = """
import json
from sqlmodel import SQLModel
from intake.sync.outbox import import_chained_modules
import_chained_modules()
print(json.dumps(sorted(SQLModel.metadata.tables)))
"""


def _fresh(code: str) -> object:
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.splitlines()[-1])


def test_every_table_is_in_the_schema_and_every_chained_one_in_the_registry_and_sync() -> None:
    tables = _fresh(_ALL_CHAINED)
    assert isinstance(tables, dict)
    chained = {name for name, (_, is_chained) in tables.items() if is_chained}
    assert {"weighing", "decision", "calibrationrecord"} <= chained  # the walk found them
    missing = {name: module for name, (module, _) in tables.items() if module not in MIGRATED_MODULES}
    assert not missing, f"table modules missing from intake.store.schema: {missing}"
    assert _fresh(_REGISTRY) == sorted(chained)
    assert set(chained) <= set(_fresh(_SYNC))  # typed by their classes, none reflected
