"""Alembic, driven from code: the gate upgrades its own database at start, `intake db upgrade`
does the same by hand. A database that already holds data is backed up before any migration."""
from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from intake.store.backup import backup, default_backup_path

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")


class MigrationError(RuntimeError):
    pass


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


@cache
def head_revision() -> str:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise MigrationError(f"migrations must have exactly one head, found {heads}")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, backup_to: Path | None = None) -> Path | None:
    """Bring the schema to head. Returns the backup taken, if any."""
    current = current_revision(engine)
    if current == head_revision():
        return None
    taken = None
    if current is None:
        tables = set(inspect(engine).get_table_names())
        if tables & {"weighing", "visit", "decision"}:
            raise MigrationError("database holds tables but no migration revision (made before migrations "
                                 "existed); move it aside and start a new one")
    else:
        taken = backup(engine, backup_to or default_backup_path(engine, current))
        log.warning("database backed up to %s before migrating from %s", taken, current)
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return taken


