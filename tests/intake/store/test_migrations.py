"""Migrations build the schema; the migrated schema matches the table classes; the file is
checked at start; backups are whole; the CLI reports with the agreed exit codes."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from intake.store.db import StoreError, open_engine
from intake.store.migrate import MigrationError, current_revision, head_revision
from tests.intake.store.conftest import KEY, fill
from intake.store.records import Records

# Runs in a fresh interpreter so only the migrated modules' tables are on the metadata (other
# modules may register tables that have no migration yet; the lead adds those).
DRIFT = """
import sys
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData
from intake.store.db import open_engine
from intake.store.schema import migrated_tables
engine = open_engine(sys.argv[1])
wanted = MetaData()
for table in migrated_tables():
    table.to_metadata(wanted)
with engine.connect() as conn:
    ctx = MigrationContext.configure(conn, opts={"compare_type": True})
    diffs = compare_metadata(ctx, wanted)

def table_of(diff):
    diff = diff[0] if isinstance(diff, list) else diff   # column changes come as lists
    thing = diff[1] if diff[0].endswith(("_table", "_index", "_constraint")) else diff[2]
    return getattr(thing, "name", None) if diff[0].endswith("_table") else getattr(getattr(thing, "table", None), "name", thing)

print(repr([d for d in diffs if table_of(d) in wanted.tables]))
"""


def test_migrated_schema_matches_the_table_classes(tmp_path):
    url = f"sqlite:///{tmp_path / 'drift.db'}"
    done = subprocess.run([sys.executable, "-c", DRIFT, url], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"tables changed without a migration: {done.stdout}"


def test_a_new_database_is_at_the_newest_revision(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert current_revision(engine) == head_revision()


def test_a_database_made_before_migrations_is_refused(tmp_path):
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE weighing (id INTEGER PRIMARY KEY, weight_kg INTEGER)")
    con.close()
    with pytest.raises(MigrationError, match="no migration revision"):
        open_engine(f"sqlite:///{path}")


def test_a_damaged_file_is_refused_at_start(tmp_path):
    path = tmp_path / "gate.db"
    records = Records(open_engine(f"sqlite:///{path}", KEY))
    fill(records, 3)
    records.engine.dispose()
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = con.execute("PRAGMA page_count").fetchone()[0]
    con.close()
    data = bytearray(path.read_bytes())
    for page in range(2, pages):  # scribble over every page but the header page
        data[page * 4096 - 3000: page * 4096 - 2000] = b"\xa5" * 1000
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="integrity check failed"):
        open_engine(f"sqlite:///{path}", KEY)


def intake(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "intake", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def test_cli_backup_is_a_whole_copy_and_upgrade_reports(tmp_path):
    path = tmp_path / "gate.db"
    records = Records(open_engine(f"sqlite:///{path}", KEY))
    fill(records, 2)
    url = f"sqlite:///{path}"
    done = intake("db", "backup", "--db", url, "--out", str(tmp_path / "copy.db"), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["backup"] == str(tmp_path / "copy.db")
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("SELECT count(*) FROM chainlink").fetchone()[0] == 10 + 2 * 9
    again = intake("db", "backup", "--db", url, "--out", str(tmp_path / "copy.db"))
    assert again.returncode == 1 and "refusing to overwrite" in again.stderr
    up = intake("db", "upgrade", "--db", url, "--json")
    assert up.returncode == 0 and json.loads(up.stdout)["to"] == head_revision()
    assert intake("db", "upgrade", "--db", "nonsense://", "--json").returncode == 2


def test_a_table_without_a_migration_is_not_made_behind_alembics_back(tmp_path):
    # Opening a store runs the migrations and nothing else: a table class with no migration
    # must show up as missing, not be created quietly.
    from sqlalchemy import Column, Integer, Table, inspect
    from sqlmodel import SQLModel

    table = Table("unmigrated_probe", SQLModel.metadata, Column("id", Integer, primary_key=True))
    try:
        engine = open_engine(f"sqlite:///{tmp_path / 'gate.db'}")
        assert "unmigrated_probe" not in inspect(engine).get_table_names()
        assert "weighing" in inspect(engine).get_table_names()
    finally:
        SQLModel.metadata.remove(table)
