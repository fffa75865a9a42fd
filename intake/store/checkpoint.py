"""The chain's last verified head, kept beside the database and signed with the audit key.

At start the gate verifies only the links written after it (the rest was verified when it was
written), and checks that the link it names is still there and unchanged: a database rolled
back or rewritten behind the checkpoint is caught without rereading a million records. The
signature (HMAC with the audit key) means nobody without the key can move it forward.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from intake.store.private import private_file


class CheckpointError(RuntimeError):
    pass


def checkpoint_path(database: str, data_dir: Path) -> Path:
    """Beside an SQLite file; in the data folder for a server database."""
    url = make_url(database)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).with_name(Path(url.database).name + ".checkpoint")
    return data_dir / "chain.checkpoint"


def _signature(key: bytes, seq: int, mac: str) -> str:
    return hmac.new(key, f"intake-checkpoint|{seq}|{mac}".encode(), hashlib.sha256).hexdigest()


def write_checkpoint(path: Path, key: bytes, seq: int, mac: str, at: datetime) -> None:
    """Atomically: a checkpoint is either the old one or the new one, never half of each."""
    tmp = path.with_name(path.name + ".part")
    private_file(tmp)
    tmp.write_text(json.dumps({"seq": seq, "mac": mac, "at": at.isoformat(), "sig": _signature(key, seq, mac)}))
    os.replace(tmp, path)


def read_checkpoint(path: Path, key: bytes) -> tuple[int, str] | None:
    """(seq, mac) of the checkpoint; None when there is none; CheckpointError when it is not ours."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {path.name} unreadable: {exc}") from None
    try:
        seq, mac, sig = int(data["seq"]), str(data["mac"]), str(data["sig"])
    except (KeyError, TypeError, ValueError):
        raise CheckpointError(f"checkpoint {path.name} malformed") from None
    if not hmac.compare_digest(sig, _signature(key, seq, mac)):
        raise CheckpointError(f"checkpoint {path.name} signature does not verify")
    return seq, mac
