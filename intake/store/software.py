"""Software identification (OIML D 31 / WELMEC 7.2): the version and a hash of the legally
relevant code, stored with every weighing so a record names the software that made it."""
from __future__ import annotations

import hashlib
from functools import cache
from importlib import metadata
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
# The legal part: frame parse -> stable weight -> record -> audit. UI, vision and sync are not in it.
LEGAL_PARTS = ("hardware/scale", "intake/lane", "intake/store", "intake/config.py")


@cache
def software_version() -> str:
    try:
        return metadata.version("intake-gate")
    except metadata.PackageNotFoundError:
        return "0+unknown"


@cache
def software_hash() -> str:
    """sha256 over the legal part's source files, in a fixed order (path, NUL, bytes, NUL)."""
    digest = hashlib.sha256()
    for part in LEGAL_PARTS:
        base = _ROOT / part
        files = [base] if base.is_file() else sorted(base.rglob("*.py"))
        for path in files:
            digest.update(path.relative_to(_ROOT).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()
