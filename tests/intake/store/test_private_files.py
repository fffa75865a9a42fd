"""Database, WAL, backup and the data folder are private to the gate's user."""
from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import text

from intake.store.backup import backup
from intake.store.db import make_engine
from intake.store.private import tighten_dir


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_and_its_wal_are_0600_in_a_0700_folder(tmp_path: Path) -> None:
    db = tmp_path / "site" / "var" / "gate.db"
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
        assert (db.parent / "gate.db-wal").exists()
        assert mode(db.parent / "gate.db-wal") == 0o600 and mode(db.parent / "gate.db-shm") == 0o600
    assert mode(db) == 0o600
    assert mode(db.parent) == 0o700 and mode(db.parent.parent) == 0o700
    out = backup(engine, tmp_path / "bak" / "gate.bak")
    assert mode(out) == 0o600
    engine.dispose()


def test_an_existing_database_is_brought_down_to_0600(tmp_path: Path) -> None:
    db = tmp_path / "gate.db"
    db.touch(mode=0o644)
    db.chmod(0o644)
    make_engine(f"sqlite:///{db}").dispose()
    assert mode(db) == 0o600


def test_the_data_folder_is_tightened_to_0700(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    tighten_dir(folder)
    assert mode(folder) == 0o700
