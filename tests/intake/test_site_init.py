"""`intake init`: a new site folder that the gate and every command accept as it is, with fresh
secrets, private files, paths relative to its gate.toml, and no way to write over a site."""
from __future__ import annotations

import json
import stat
from pathlib import Path

from typer.testing import CliRunner

from intake.cli.main import app
from intake.config import load_config


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_site_is_ready_for_its_devices_and_nothing_of_the_demo_is_in_it(tmp_path: Path, monkeypatch) -> None:
    runner = CliRunner()
    made = runner.invoke(app, ["init", str(tmp_path / "etc"), "--name", "华鑫 一号站", "--json"])
    assert made.exit_code == 0, made.output
    site = json.loads(made.stdout)
    config = Path(site["config"])
    text = config.read_text(encoding="utf-8")
    assert "demo" not in text.lower()
    cfg = load_config(config)
    etc = (tmp_path / "etc").resolve()
    assert cfg.site.name == "华鑫 一号站" and cfg.site.data_dir == etc / "data"
    assert cfg.model.path.exists()   # the shipped model, wherever the site folder is
    assert (_mode(etc), _mode(config), _mode(etc / "audit.key"), _mode(etc / "data")) == (0o700, 0o600, 0o600, 0o700)
    monkeypatch.chdir(tmp_path)      # any folder: the commands find the site by its file
    check = runner.invoke(app, ["db", "check", "--config", "etc/gate.toml", "--json"])
    assert check.exit_code == 0 and json.loads(check.stdout)["integrity"] == "ok"
    verify = runner.invoke(app, ["audit", "verify", "--config", "etc/gate.toml"])
    assert verify.exit_code == 0, verify.output


def test_an_existing_site_is_never_written_over(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["init", str(tmp_path / "a"), "--name", "A"]).exit_code == 0
    key = (tmp_path / "a" / "audit.key").read_bytes()
    again = runner.invoke(app, ["init", str(tmp_path / "a"), "--name", "B"])
    assert again.exit_code == 2 and "never written over" in again.output
    assert (tmp_path / "a" / "audit.key").read_bytes() == key
    assert runner.invoke(app, ["init", str(tmp_path / "b"), "--name", "B"]).exit_code == 0
    secrets = [load_config(tmp_path / s / "gate.toml").sampling.secret for s in ("a", "b")]
    assert secrets[0] != secrets[1] and (tmp_path / "b" / "audit.key").read_bytes() != key
