"""Regression: the committed capture decodes to the committed expectations.

The .jsonl was written from the encoder inputs (see gen_toledo_fixture.py), not by running
the decoder, so a decoder change that alters any frame fails here."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from typer.testing import CliRunner

from hardware.scale.toledo import ToledoDecoder
from intake.cli.scale import app

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parents[2] / "fixtures" / "scale"
CAPTURE = FIXTURES / "toledo_capture.bin"
EXPECTED = FIXTURES / "toledo_capture.jsonl"


def _expected() -> list[dict]:
    return [json.loads(line) for line in EXPECTED.read_text().splitlines()]


def test_generator_reproduces_the_committed_fixture_exactly() -> None:
    script = HERE / "gen_toledo_fixture.py"
    spec = importlib.util.spec_from_file_location("gen_toledo_fixture", script)
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    data, expect = gen.build()
    assert data == CAPTURE.read_bytes()
    assert expect == _expected()


def test_capture_covers_garbage_and_refused_frames() -> None:
    expected = _expected()
    assert sum("error" in obj for obj in expected) == 2
    assert len(expected) >= 10


def test_decoder_on_capture_matches_expected_and_accounts_for_every_byte() -> None:
    data = CAPTURE.read_bytes()
    d = ToledoDecoder()
    items = d.feed(data) + d.flush()
    assert [i.to_json() for i in items] == _expected()
    # everything that is neither a good frame nor a refused frame's STX was skipped
    assert d.skipped_bytes == len(data) - 18 * d.frames - d.errors == 58


def test_cli_decode_json_on_capture() -> None:
    result = CliRunner().invoke(app, ["decode", "--protocol", "toledo", "--json", str(CAPTURE)])
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in result.stdout.splitlines()] == _expected()
    assert result.stderr.strip() == "skipped 58 bytes"
