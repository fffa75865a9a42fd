"""The gate's files are its own: database and backups 0600, folders it creates 0700.

The database holds password hashes, plates and commercial records. SQLite creates a new file
0644 (less the umask) and gives its -wal and -shm files the database file's mode, so creating
the file ourselves, 0600, before SQLite opens it covers all three.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

FILE_MODE: Final[int] = 0o600
DIR_MODE: Final[int] = 0o700


def private_dir(path: Path) -> None:
    """Create `path` and any missing parents 0700. Existing folders are left as they are: the
    database may sit in a folder the gate does not own (a shared mount, /tmp in a test)."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            pass  # made meanwhile by another process: fine


def tighten_dir(path: Path) -> None:
    """The site's own data folder: created 0700, or brought down to 0700 if it is wider."""
    private_dir(path)
    _chmod_down(path, DIR_MODE)


def private_file(path: Path) -> None:
    """Create `path` empty and 0600 if missing; bring an existing file owned by us down to 0600."""
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        _chmod_down(path, FILE_MODE)


def _chmod_down(path: Path, mode: int) -> None:
    try:
        info = path.stat()
        if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & ~mode:
            path.chmod(mode)
    except OSError:
        pass  # not ours to change (read-only media, another owner): opening still works
