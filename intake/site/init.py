"""`intake init DIR`: a new site folder with its own configuration, audit key and database.

Nothing of the demo's is in it: its secrets and tokens are drawn fresh, its paths are relative
to its gate.toml, and an existing site is never written over (its key signs its records).
"""
from __future__ import annotations

import secrets
from string import Template
from dataclasses import dataclass
from pathlib import Path

from intake.store.private import private_dir, private_file

TEMPLATE = Path(__file__).with_name("template.toml")
SHIPPED_MODEL = Path(__file__).resolve().parents[2] / "models" / "intake-classifier" / "model.onnx"


class SiteExists(FileExistsError):
    pass


@dataclass(frozen=True)
class NewSite:
    folder: Path
    config: Path
    key: Path
    database: str


def write_config(folder: Path, name: str, timezone: str, model: Path = SHIPPED_MODEL) -> Path:
    config = folder / "gate.toml"
    if config.exists():
        raise SiteExists(f"{config} exists: a site is never written over (its key signs its records)")
    text = Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        name=name.replace('"', "'").replace("\\", "/"), timezone=timezone, secret=secrets.token_hex(32),
        webhook_token=secrets.token_urlsafe(24), lab_token=secrets.token_urlsafe(24), model=model.as_posix())
    private_file(config)
    config.write_text(text, encoding="utf-8")
    return config


def init_site(folder: Path, name: str, timezone: str = "Asia/Shanghai") -> NewSite:
    """Make the folder (0700), gate.toml, the audit key and the migrated database."""
    from intake.config import load_config
    from intake.store.db import open_engine
    from intake.store.keys import load_key

    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    config = write_config(folder, name, timezone)
    cfg = load_config(config)   # the file it wrote must be one the gate accepts
    private_dir(cfg.site.data_dir)
    key = load_key(cfg.site.audit_key, create=True)
    open_engine(cfg.site.database, key).dispose()
    return NewSite(folder, config, Path(cfg.site.audit_key.removeprefix("file:")), cfg.site.database)
