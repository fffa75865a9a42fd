"""Where the per-site audit key comes from. The key never lives in the database it protects.

A key source is `env:NAME` (the variable holds the key text) or `file:PATH` (the file holds it;
a relative path is taken from the working directory). `file:` sources are created with a fresh
random key when missing and `create` is set — convenient for the demo, and a lost key shows up
at once as a chain that no longer verifies, never as silently accepted records.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

MIN_KEY_BYTES = 16


class AuditKeyError(ValueError):
    """The key source is malformed, missing or too short."""


def load_key(source: str, create: bool = False) -> bytes:
    kind, _, ref = source.partition(":")
    if not ref:
        raise AuditKeyError(f"audit key source {source!r}: expected env:NAME or file:PATH")
    if kind == "env":
        text = os.environ.get(ref)
        if text is None:
            raise AuditKeyError(f"audit key: environment variable {ref} is not set")
        key = text.strip().encode("utf-8")
    elif kind == "file":
        key = _from_file(Path(ref), create)
    else:
        raise AuditKeyError(f"audit key source {source!r}: unknown kind {kind!r} (env or file)")
    if len(key) < MIN_KEY_BYTES:
        raise AuditKeyError(f"audit key from {source!r} is shorter than {MIN_KEY_BYTES} bytes")
    return key


def _from_file(path: Path, create: bool) -> bytes:
    if not path.exists():
        if not create:
            raise AuditKeyError(f"audit key file {path} does not exist")
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting at once must not each write a different key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_bytes().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
    return path.read_bytes().strip()
