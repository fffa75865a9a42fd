"""Paths in a site's configuration are relative to the file that names them, not to whatever
folder a command happens to run in: `intake run --config /etc/intake/gate.toml` and a technician's
`intake audit verify --config gate.toml` from their home folder must open the same files.

What counts as a path: `site.data_dir`, an SQLite `site.database`, a `file:` audit key,
`model.path`, each lane's `camera.calibration` and each evidence camera's `source` when it is a
file or an image pattern. Device names (serial ports, pyserial URLs, device indexes, stream URLs,
the sample camera's source) are left as the operator wrote them.
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


def _camera_source(base: Path, source: str) -> str:
    """A file or image pattern under `base`; a device index or a stream URL as written."""
    if source.strip().isdigit() or ("://" in source and not source.startswith("file://")):
        return source
    return str(_under(base, Path(source.removeprefix("file://"))))


def relative_to(cfg: "GateConfig", base: Path) -> "GateConfig":
    """The same configuration with every relative path made absolute under `base`."""
    site = cfg.site.model_copy(update={"data_dir": _under(base, cfg.site.data_dir),
                                       "database": _database(base, cfg.site.database),
                                       "audit_key": _key(base, cfg.site.audit_key)})
    lanes = [lane.model_copy(update={
        "camera": lane.camera.model_copy(update={
            "calibration": None if lane.camera.calibration is None else _under(base, lane.camera.calibration)}),
        "evidence": [cam.model_copy(update={"source": _camera_source(base, cam.source)}) for cam in lane.evidence]})
        for lane in cfg.lanes]
    model = cfg.model.model_copy(update={"path": _under(base, cfg.model.path)})
    return cfg.model_copy(update={"site": site, "lanes": lanes, "model": model})
