"""A site's relative paths resolve against its config file's folder, whatever folder the
command runs in; absolute paths, server databases, env: keys and device names stay as written."""
from __future__ import annotations

from pathlib import Path

import pytest

from intake.config import load_config

DEMO = Path(__file__).resolve().parents[2] / "intake" / "demo" / "demo.toml"


def site(tmp_path: Path, database: str, key: str, data_dir: str = "data") -> Path:
    text = DEMO.read_text(encoding="utf-8")
    text = text.replace('paths_relative_to = "working_dir"', "")   # a site's file: the default
    text = text.replace('data_dir = "var/demo"', f'data_dir = "{data_dir}"')
    text = text.replace('database = "sqlite:///var/demo/intake.db"', f'database = "{database}"')
    text = text.replace('audit_key = "file:var/demo/audit.key"', f'audit_key = "{key}"')
    folder = tmp_path / "etc"
    folder.mkdir(exist_ok=True)
    (folder / "gate.toml").write_text(text, encoding="utf-8")
    return folder / "gate.toml"


def test_relative_paths_follow_the_config_file_not_the_current_folder(tmp_path, monkeypatch) -> None:
    path = site(tmp_path, "sqlite:///db/intake.db", "file:keys/audit.key")
    monkeypatch.chdir(tmp_path)   # any folder but the config's
    cfg = load_config(Path("etc/gate.toml"))
    etc = (tmp_path / "etc").resolve()
    assert cfg.site.data_dir == etc / "data"
    assert cfg.site.database == f"sqlite:///{etc / 'db' / 'intake.db'}"
    assert cfg.site.audit_key == f"file:{etc / 'keys' / 'audit.key'}"
    assert cfg.model.path == etc / "models/intake-classifier/model.onnx"
    assert cfg.lanes[0].scale.port == load_config(DEMO).lanes[0].scale.port   # a device name, untouched


def test_the_demo_file_keeps_its_paths_relative_to_where_it_runs() -> None:
    cfg = load_config(DEMO)
    assert (cfg.site.data_dir, cfg.site.audit_key) == (Path("var/demo"), "file:var/demo/audit.key")


@pytest.mark.parametrize(("database", "key"), [
    ("sqlite:////srv/intake/intake.db", "file:/srv/intake/audit.key"),
    ("postgresql://gate@db.plant/intake", "env:INTAKE_AUDIT_KEY"),
])
def test_absolute_paths_servers_and_env_keys_stay_as_written(tmp_path, database: str, key: str) -> None:
    cfg = load_config(site(tmp_path, database, key, data_dir="/srv/intake/data"))
    assert (cfg.site.database, cfg.site.audit_key, cfg.site.data_dir) == (database, key, Path("/srv/intake/data"))


def test_evidence_camera_files_follow_the_config_file_and_devices_and_streams_stay(tmp_path) -> None:
    path = site(tmp_path, "sqlite:///db/intake.db", "file:keys/audit.key")
    text = path.read_text(encoding="utf-8")
    sources = ['"cams/front.jpg"', '"rtsp://10.0.0.21/stream1"', '"0"', '"/srv/cams/top_%03d.png"']
    for view, source in zip(("front", "rear", "top", "cab"), sources):
        text = text.replace(f'view = "{view}"\nsource = "sim"', f'view = "{view}"\nsource = {source}')
    path.write_text(text, encoding="utf-8")
    cams = {cam.view: cam.source for cam in load_config(path).lanes[0].evidence}
    assert cams == {"front": str(path.parent.resolve() / "cams/front.jpg"), "rear": "rtsp://10.0.0.21/stream1",
                    "top": "0", "cab": "/srv/cams/top_%03d.png"}


def test_evidence_views_must_be_unique(tmp_path) -> None:
    from intake.config import ConfigError

    path = site(tmp_path, "sqlite:///db/intake.db", "file:keys/audit.key")
    path.write_text(path.read_text(encoding="utf-8").replace('view = "rear"', 'view = "front"'), encoding="utf-8")
    with pytest.raises(ConfigError, match="views must be unique"):
        load_config(path)
