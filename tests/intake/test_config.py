from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from intake.config import ConfigError, load_config, parse_config

DEMO = Path(__file__).resolve().parents[2] / "intake" / "demo" / "demo.toml"


def demo_raw() -> dict:
    return tomllib.loads(DEMO.read_text(encoding="utf-8"))


def test_demo_config_is_valid_and_defines_sand_and_gravel():
    cfg = load_config(DEMO)
    assert {"sand", "gravel"} <= set(cfg.materials)
    assert cfg.lanes[0].id == "1"


def test_unknown_key_is_named():
    raw = demo_raw()
    raw["lanes"][0]["weighing"]["stable_tme_s"] = 3
    with pytest.raises(ConfigError, match=r"lanes\.0\.weighing\.stable_tme_s"):
        parse_config(raw)


def test_bad_value_is_named():
    raw = demo_raw()
    raw["sampling"]["rate"] = 1.5
    with pytest.raises(ConfigError, match=r"sampling\.rate"):
        parse_config(raw)
    raw = demo_raw()
    raw["lanes"][0]["scale"]["parity"] = "X"
    with pytest.raises(ConfigError, match=r"lanes\.0\.scale\.parity"):
        parse_config(raw)


def test_duplicate_lanes_and_bad_files(tmp_path):
    raw = demo_raw()
    raw["lanes"].append(raw["lanes"][0])
    with pytest.raises(ConfigError, match="unique"):
        parse_config(raw)
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[site\nname=", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_every_protocol_gets_only_the_options_its_decoder_takes():
    from intake.config import ScaleConfig

    for protocol in ("toledo", "toledo-short", "sics", "yaohua", "yaohua-eq", "keli", "cas", "sma",
                     "cardinal", "ricelake"):
        cfg = ScaleConfig(port="loop://", protocol=protocol)
        assert cfg.decoder_options().get("confirm", 2) == 2  # no-checksum protocols confirm twice
    assert ScaleConfig(port="loop://", protocol="yaohua", command=True).decoder_options()["command"] is True


def test_command_mode_on_a_streaming_protocol_names_the_field():
    raw = demo_raw()
    raw["lanes"][0]["scale"]["command"] = True  # demo lane speaks Toledo continuous
    with pytest.raises(ConfigError, match=r"lanes\.0\.scale.*no command mode"):
        parse_config(raw)
