"""`intake scale detect` and `intake scale monitor` against the simulator on a real pty."""
from __future__ import annotations

import json
import time

import pytest
from typer.testing import CliRunner

from hardware.scale.codecs import ALWAYS_POLLED, CODECS
from hardware.scale.frame import FrameError, WeightFrame
from hardware.scale.monitor import MonitorState, printable
from hardware.scale.simulator import IndicatorSimulator
from intake.cli.scale import app

runner = CliRunner()
STREAMED = sorted(set(CODECS) - ALWAYS_POLLED)
# sics-sir is not here: SIR is the host's choice, the same indicator is found as sics
POLLED = [("sics", {}), ("yaohua", {"command": True}), ("sma", {"poll": True}),
          ("keli", {"command": True}), ("nci", {})]


def _detect(sim: IndicatorSimulator) -> tuple[dict, float]:
    started = time.monotonic()
    result = runner.invoke(app, ["detect", "--port", sim.port, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), time.monotonic() - started


@pytest.mark.parametrize("protocol", STREAMED)
def test_detect_finds_each_streamed_protocol_at_a_non_default_baud(protocol: str) -> None:
    with IndicatorSimulator(lambda: (12340, False), period=0.03, protocol=protocol,
                            baud=4800) as sim:
        found, took = _detect(sim)
    want = {"toledo-short": "toledo-short"}.get(protocol, protocol)
    assert (found["protocol"], found["baud"], found["bytesize"], found["parity"]) == \
        (want, 4800, 8, "N")
    assert found["confidence"] >= 0.8 and took < 10


@pytest.mark.parametrize(("protocol", "options"), POLLED)
def test_detect_asks_command_protocols(protocol: str, options: dict) -> None:
    with IndicatorSimulator(lambda: (12340, False), protocol=protocol, command=True,
                            baud=2400) as sim:
        found, took = _detect(sim)
    # Keli's command mode is Yaohua's, byte for byte: it is reported as yaohua
    want = "yaohua" if protocol == "keli" else protocol
    assert (found["protocol"], found["options"], found["baud"]) == (want, {**options}, 2400)
    assert found["confidence"] >= 0.8 and took < 10


def test_detect_reports_a_7e1_line() -> None:
    with IndicatorSimulator(lambda: (1560, False), period=0.03, protocol="toledo",
                            baud=19200, parity_bit=True) as sim:
        found, _ = _detect(sim)
    assert (found["protocol"], found["baud"], found["bytesize"], found["parity"]) == \
        ("toledo", 19200, 7, "E")


def test_detect_on_a_silent_port_fails_within_the_budget() -> None:
    with IndicatorSimulator(lambda: (0, False), protocol="sics", command=True,
                            baud=600) as sim:
        sim.silence(60)
        started = time.monotonic()
        result = runner.invoke(app, ["detect", "--port", sim.port, "--budget", "2"])
    assert result.exit_code == 1 and "no protocol" in result.stderr
    assert time.monotonic() - started < 4


def test_detect_human_table() -> None:
    with IndicatorSimulator(lambda: (500, False), period=0.03, protocol="cas") as sim:
        result = runner.invoke(app, ["detect", "--port", sim.port])
    assert result.exit_code == 0 and "cas" in result.stdout and "9600 8N1" in result.stdout


def test_monitor_shows_weight_rate_and_raw_bytes() -> None:
    with IndicatorSimulator(lambda: (7420, False), period=0.02, protocol="ricelake") as sim:
        sim.corrupt_next(3)
        result = runner.invoke(app, ["monitor", "--port", sim.port, "--protocol", "ricelake",
                                     "--duration", "3.0", "--refresh", "0.1"])   # a loaded machine too
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "7420 kg" in out and "frames/s" in out and "rejected" in out
    assert "\\x02" in out  # raw bytes, control bytes escaped


def test_monitor_state_rates() -> None:
    state = MonitorState(window=2.0)
    frame = WeightFrame(weight=1, unit="kg", stable=True, net=False, tare=None,  # type: ignore[arg-type]
                        overload=False, underload=False)
    for i in range(10):
        state.add(frame if i % 5 else FrameError("bad"), at=100.0 + i * 0.1)
    snap = state.snapshot([(0.0, b"\x02 12\r")], now=101.0)
    assert snap.rate == pytest.approx(8 / 1.0)
    assert snap.rejected_rate == pytest.approx(0.2)
    assert snap.last_error == "bad" and snap.raw == ["\\x02 12\\x0d"]
    assert printable(b"A\xff") == "A\\xff"


def test_monitor_bad_protocol_is_exit_2() -> None:
    result = runner.invoke(app, ["monitor", "--port", "loop://", "--protocol", "nope",
                                 "--duration", "0.1"])
    assert result.exit_code == 2


def test_read_command_mode_option() -> None:
    with IndicatorSimulator(lambda: (880, False), protocol="yaohua", command=True) as sim:
        result = runner.invoke(app, ["read", "--port", sim.port, "--protocol", "yaohua",
                                     "--command", "--poll", "0.02", "--count", "3",
                                     "--timeout", "5", "--json"])
    assert result.exit_code == 0, result.output
    assert [json.loads(x)["weight"] for x in result.stdout.splitlines()] == [880] * 3
    bad = runner.invoke(app, ["read", "--port", "loop://", "--protocol", "cas", "--command"])
    assert bad.exit_code == 2 and "no command" in bad.stderr
