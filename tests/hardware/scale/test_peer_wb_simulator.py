"""A peer we did not write: PyPI `weighbridge-simulator` (`wb-simulator`, a dev dependency)
writes a Yaohua "=" reversed stream into a pseudo-terminal; `intake scale read` reads it."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from intake.cli.scale import app

DATA = Path(__file__).parents[3] / "fixtures" / "scale" / "wb_simulator_truck.txt"


def test_intake_scale_read_decodes_the_wb_simulator_stream(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "wb-simulator"
    assert exe.exists(), "dev dependency weighbridge-simulator is not installed"
    log = tmp_path / "wb.out"
    with log.open("wb") as out:
        peer = subprocess.Popen([str(exe), "-d", str(DATA), "-l", "0", "-i", "0.01"],
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while "Created PTY:" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.02)
        port = log.read_text().split("Created PTY:", 1)[1].split()[0]
        result = CliRunner().invoke(app, ["read", "--port", port, "--protocol", "yaohua-eq",
                                          "--unit", "t", "--count", "40", "--timeout", "10",
                                          "--json"])
    finally:
        peer.terminate()
        peer.wait(timeout=5)
    assert result.exit_code == 0, result.output
    frames = [json.loads(line) for line in result.stdout.splitlines()]
    sent = {Decimal(line) for line in DATA.read_text().split()}
    assert all("error" not in f for f in frames), frames
    assert len(frames) == 40
    assert {Decimal(str(f["weight"])) for f in frames} <= sent
    assert {f["unit"] for f in frames} == {"t"} and any(f["weight"] == 42.3 for f in frames)
