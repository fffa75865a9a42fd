"""`intake scale decode|read` through Typer's CliRunner on the sub-app."""
from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hardware.scale.simulator import IndicatorSimulator
from hardware.scale.toledo import encode_toledo
from intake.cli.scale import app

runner = CliRunner()


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_decode_stdin_json() -> None:
    data = b"junk" + encode_toledo(1560) + encode_toledo(-40, motion=True)
    result = runner.invoke(app, ["decode", "--protocol", "toledo", "--json", "-"], input=data)
    assert result.exit_code == 0, result.output
    assert _json_lines(result.stdout) == [
        {"weight": 1560, "unit": "kg", "stable": True, "net": False, "tare": 0,
         "overload": False, "underload": False},
        {"weight": -40, "unit": "kg", "stable": False, "net": False, "tare": 0,
         "overload": False, "underload": False},
    ]
    assert "skipped 4 bytes" in result.stderr


def test_decode_error_frame_is_an_error_object() -> None:
    bad = bytearray(encode_toledo(10))
    bad[-1] ^= 1
    result = runner.invoke(app, ["decode", "-p", "toledo", "--json"], input=bytes(bad))
    assert result.exit_code == 0
    (obj,) = _json_lines(result.stdout)
    assert set(obj) == {"error"} and "checksum" in obj["error"]


def test_decode_options_unit_and_no_checksum(tmp_path: Path) -> None:
    capture = tmp_path / "cap.bin"
    capture.write_bytes(encode_toledo(7, unit="lb", checksum=False, short=True))
    result = runner.invoke(app, ["decode", "--protocol", "toledo-short", "--no-checksum",
                                 "--unit", "kg", "--json", str(capture)])
    assert result.exit_code == 0, result.output
    (obj,) = _json_lines(result.stdout)
    assert (obj["weight"], obj["unit"], obj["tare"]) == (7, "kg", None)


def test_decode_human_table() -> None:
    result = runner.invoke(app, ["decode", "--protocol", "toledo"],
                           input=encode_toledo(24560) + encode_toledo(5, overload=True))
    assert result.exit_code == 0
    assert "24560" in result.stdout and "overload" in result.stdout
    assert not result.stdout.lstrip().startswith("{")


def test_decode_unknown_protocol_exits_2_listing_names() -> None:
    result = runner.invoke(app, ["decode", "--protocol", "toldeo", "-"], input=b"")
    assert result.exit_code == 2
    assert "unknown protocol 'toldeo'" in result.stderr and "toledo-short" in result.stderr


def test_decode_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["decode", "--protocol", "toledo", str(tmp_path / "none.bin")])
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_decode_bad_unit_exits_2() -> None:
    result = runner.invoke(app, ["decode", "--protocol", "toledo", "--unit", "stone"], input=b"")
    assert result.exit_code == 2 and "unit must be one of" in result.stderr


def test_decode_without_protocol_is_a_usage_error() -> None:
    assert runner.invoke(app, ["decode"], input=b"").exit_code == 2


def test_read_live_frames_from_the_pty_simulator() -> None:
    with IndicatorSimulator(lambda: (24560, False), period=0.01) as sim:
        result = runner.invoke(app, ["read", "--port", sim.port, "--protocol", "toledo",
                                     "--count", "3", "--timeout", "5", "--json"])
    assert result.exit_code == 0, result.output
    frames = _json_lines(result.stdout)
    assert len(frames) == 3 and all(f["weight"] == 24560 and f["stable"] for f in frames)
    assert "frames" in result.stderr


def test_read_human_lines() -> None:
    with IndicatorSimulator(lambda: (-40, True), period=0.01) as sim:
        result = runner.invoke(app, ["read", "--port", sim.port, "-p", "toledo",
                                     "--count", "2", "--timeout", "5"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "-40 kg  MOTION  gross  tare 0"


def test_read_times_out_with_exit_1_on_a_silent_indicator() -> None:
    with IndicatorSimulator(lambda: (1, False), period=0.01) as sim:
        sim.silence(10)
        result = runner.invoke(app, ["read", "--port", sim.port, "-p", "toledo",
                                     "--count", "1", "--timeout", "0.3"])
    assert result.exit_code == 1
    assert "only 0 of 1 frames" in result.stderr


def test_read_rejects_bad_line_settings() -> None:
    for args in (["--bytesize", "9"], ["--parity", "X"]):
        result = runner.invoke(app, ["read", "--port", "loop://", "-p", "toledo", *args])
        assert result.exit_code == 2, args
    result = runner.invoke(app, ["read", "--port", "bogus://x", "-p", "toledo"])
    assert result.exit_code == 2
