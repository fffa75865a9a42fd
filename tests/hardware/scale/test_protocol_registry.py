"""Adding an indicator protocol is one module and one registry row: a toy protocol
(toy_protocol.py) registered with one line is accepted by the config, polled by the gate's
settings, decoded by `intake scale decode`, found by `intake scale detect`, served by the
simulator and read by the ScaleReader, with nothing else edited."""
from __future__ import annotations

import json
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Callable

import pytest
import toy_protocol
from typer.testing import CliRunner

from hardware.scale.codecs import CODECS, Codec
from hardware.scale.frame import WeightFrame
from hardware.scale.reader import ScaleReader
from hardware.scale.simulator import IndicatorSimulator
from hardware.scale.state import IndicatorState
from intake.cli.scale import app
from intake.config import ConfigError, ScaleConfig, parse_config

runner = CliRunner()
DEMO = Path(__file__).resolve().parents[3] / "intake" / "demo" / "demo.toml"


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch) -> Codec:
    monkeypatch.setitem(CODECS, "toy", toy_protocol.CODEC)  # the one line
    return toy_protocol.CODEC


def test_config_takes_the_new_protocol_with_its_own_options(toy: Codec) -> None:
    cfg = ScaleConfig(port="loop://", protocol="toy")
    assert cfg.decoder_options() == {"confirm": 2}  # no checksum: confirm, from the row
    assert cfg.polled  # the gate's staleness floor follows the row, not the name


def test_an_unregistered_name_is_refused_and_the_valid_ones_listed() -> None:
    raw = tomllib.loads(DEMO.read_text(encoding="utf-8"))
    raw["lanes"][0]["scale"]["protocol"] = "toy"
    with pytest.raises(ConfigError, match=r"lanes\.0\.scale\.protocol.*'toy'.*toledo"):
        parse_config(raw)


def test_decode_cli_reads_a_capture(toy: Codec, tmp_path) -> None:
    capture = tmp_path / "toy.bin"
    capture.write_bytes(b"noise" + toy_protocol.encode(IndicatorState(Decimal(1560))))
    result = runner.invoke(app, ["decode", "--protocol", "toy", "--json", str(capture)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["weight"] == 1560


def test_detect_asks_it_and_the_reader_polls_it(toy: Codec, wait_for: Callable) -> None:
    with IndicatorSimulator(lambda: (12340, False), protocol="toy", command=True,
                            baud=9600) as sim:
        result = runner.invoke(app, ["detect", "--port", sim.port, "--json"])
        assert result.exit_code == 0, result.output
        found = json.loads(result.stdout)
        assert (found["protocol"], found["baud"]) == ("toy", 9600)
        with ScaleReader(sim.port, "toy", poll_period=0.01) as reader:
            reading = wait_for(lambda: reader.latest().frame)
    assert isinstance(reading, WeightFrame) and reading.weight == 12340
    assert reader.stats().polls > 0
