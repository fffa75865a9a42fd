"""The calibration file: written atomically, the previous one kept as a timestamped backup.

Write order: the new content goes to a temporary file in the same directory and is fsynced;
the file in force (if any) gets a hard link under its backup name; then the temporary file is
renamed over it and the directory fsynced. At every instant the path names either the old or
the new calibration, complete; a crash leaves at most a stray temporary file.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


class CalibrationFileError(RuntimeError):
    pass


def render(content: dict[str, Any]) -> bytes:
    """Stable bytes for the content, so its sha256 can go into the chained record first."""
    return (json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load(path: Path) -> dict[str, Any] | None:
    """The calibration in force, or None when there is none yet."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise CalibrationFileError(f"calibration file {path} unreadable: {exc}") from exc


def backup_name(path: Path, now: datetime) -> Path:
    stamp = now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    return path.with_name(f"{path.name}.{stamp}.bak")


def save_atomic(path: Path, data: bytes, now: datetime | None = None) -> Path | None:
    """Replace ``path`` with ``data``; return the backup of the previous file, if there was one."""
    now = now or datetime.now(timezone.utc)
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        backup = _keep_previous(path, now)
        os.replace(tmp, path)
        _fsync_dir(directory)
        return backup
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CalibrationFileError(f"cannot write calibration file {path}: {exc}") from exc


def _keep_previous(path: Path, now: datetime) -> Path | None:
    if not path.exists():
        return None
    backup = backup_name(path, now)
    try:
        os.link(path, backup)  # the old file stays in place until the rename
    except OSError:
        shutil.copy2(path, backup)  # filesystems without hard links
    return backup


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # not every platform can open a directory; the rename is still atomic
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
