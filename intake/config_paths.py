"""Paths in a site's configuration are relative to the file that names them, not to whatever
folder a command happens to run in: `intake run --config /etc/intake/gate.toml` and a technician's
`intake audit verify --config gate.toml` from their home folder must open the same files.

What counts as a path: `site.data_dir`, an SQLite `site.database`, a `file:` audit key,
`model.path` and each lane's `camera.calibration`. Device names (serial ports, pyserial URLs,
camera sources) are left as the operator wrote them.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from intake.config import GateConfig


def _under(base: Path, path: Path) -> Path:
    return path if path.is_absolute() else base / path


def _database(base: Path, url: str) -> str:
    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:" or Path(name).is_absolute():
        return url
    return parsed.set(database=str(base / name)).render_as_string(hide_password=False)


def _key(base: Path, source: str) -> str:
    kind, _, where = source.partition(":")
    return f"file:{_under(base, Path(where))}" if kind == "file" else source


def relative_to(cfg: "GateConfig", base: Path) -> "GateConfig":
    """The same configuration with every relative path made absolute under `base`."""
    site = cfg.site.model_copy(update={"data_dir": _under(base, cfg.site.data_dir),
                                       "database": _database(base, cfg.site.database),
                                       "audit_key": _key(base, cfg.site.audit_key)})
    lanes = [lane.model_copy(update={"camera": lane.camera.model_copy(update={
        "calibration": None if lane.camera.calibration is None else _under(base, lane.camera.calibration)})})
        for lane in cfg.lanes]
    model = cfg.model.model_copy(update={"path": _under(base, cfg.model.path)})
    return cfg.model_copy(update={"site": site, "lanes": lanes, "model": model})
