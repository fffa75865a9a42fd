"""Online backups. SQLite uses its backup API, which copies a consistent snapshot while the gate
keeps writing; PostgreSQL uses pg_dump (custom format)."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import Engine

from intake.store.private import private_dir, private_file


class BackupError(RuntimeError):
    pass


def default_backup_path(engine: Engine, revision: str | None) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    db = engine.url.database or "database"
    base = Path(db) if engine.dialect.name == "sqlite" else Path("var") / Path(db).name
    return base.with_name(f"{base.name}.{revision or 'none'}.{stamp}.bak")


def backup(engine: Engine, out: Path) -> Path:
    private_dir(out.parent)
    if out.exists():
        raise BackupError(f"{out} exists; refusing to overwrite a backup")
    if engine.dialect.name == "sqlite":
        return _sqlite_backup(engine, out)
    if engine.dialect.name == "postgresql":
        return _pg_dump(engine, out)
    raise BackupError(f"no backup method for {engine.dialect.name}")


def _sqlite_backup(engine: Engine, out: Path) -> Path:
    source_path = engine.url.database
    if not source_path or source_path == ":memory:":
        raise BackupError("an in-memory database has nothing to back up")
    tmp = out.with_name(out.name + ".part")
    src = sqlite3.connect(source_path, timeout=30)
    try:
        private_file(tmp)   # a copy of the records: as private as the database
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst, pages=1024)
            ok = dst.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            dst.close()
    finally:
        src.close()
    if ok != "ok":
        tmp.unlink(missing_ok=True)
        raise BackupError(f"backup copy failed its integrity check: {ok}")
    tmp.replace(out)  # a backup file is either complete or absent
    return out


def _pg_dump(engine: Engine, out: Path) -> Path:
    exe = shutil.which("pg_dump")
    if exe is None:
        raise BackupError("pg_dump not found (install postgresql-client)")
    url = engine.url.set(drivername="postgresql")
    dsn = url.render_as_string(hide_password=False)
    tmp = out.with_name(out.name + ".part")
    done = subprocess.run([exe, "--format=custom", f"--file={tmp}", dsn], capture_output=True, text=True)
    if done.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    tmp.replace(out)
    return out
