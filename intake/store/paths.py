"""Files the records point at: frame paths are stored relative to the site's data_dir."""
from __future__ import annotations

from pathlib import Path


def resolve_under(base: Path, relative: str) -> Path | None:
    """base/relative if it stays inside base after resolving links; None otherwise (no `..`,
    no absolute path, no symlink out): a stored path never reaches outside the data folder."""
    if not relative or "\x00" in relative or Path(relative).is_absolute():
        return None
    root = base.resolve()
    target = (root / relative).resolve()
    return target if target.is_relative_to(root) else None
