"""`intake scale read|decode` with the reference's extra protocols (A12(E), NCI, MT-SICS SIR)
against the pty simulator, through Typer's CliRunner."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hardware.scale.simulator import IndicatorSimulator
from intake.cli.scale import app

runner = CliRunner()


@pytest.mark.parametrize("protocol", ["yaohua-a12", "nci", "sics-sir"])
def test_read_live_frames_of_each_extra_protocol(protocol: str) -> None:
    with IndicatorSimulator(lambda: (24560, False), period=0.01, protocol=protocol) as sim:
        result = runner.invoke(app, ["read", "--port", sim.port, "--protocol", protocol,
                                     "--count", "3", "--timeout", "5", "--poll", "0.02", "--json"])
    assert result.exit_code == 0, result.output
    frames = [json.loads(line) for line in result.stdout.splitlines()]
    stable = None if protocol == "yaohua-a12" else True   # A12 frames carry no motion flag
    assert len(frames) == 3
    assert all((f["weight"], f["unit"], f["stable"]) == (24560, "kg", stable) for f in frames)


def test_decode_a12_vectors_from_stdin() -> None:
    data = b"WG004.139kg3D\r\n" + b" " * 9 + b"OL23\r\n"
    result = runner.invoke(app, ["decode", "--protocol", "yaohua-a12", "--json"], input=data)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["weight"] == 4.139 and lines[1] == {"error": "overload (OL)"}
