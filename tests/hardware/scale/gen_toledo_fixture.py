"""Builds fixtures/scale/toledo_capture.{bin,jsonl} from the encoder.

The expected JSON lines come from what each piece was *meant* to be (the encoder inputs),
not from running the decoder, so the regression test compares two independent things.
Run from the repository root:  .venv/bin/python tests/hardware/scale/gen_toledo_fixture.py
"""
from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from hardware.scale.toledo import checksum_of, encode_toledo  # noqa: E402

FIXTURES = ROOT / "fixtures" / "scale"


def _ok(weight: float | int, *, unit: str = "kg", stable: bool = True, net: bool = False,
        tare: float | int | None = 0, overload: bool = False,
        underload: bool = False) -> dict[str, Any]:
    return {"weight": weight, "unit": unit, "stable": stable, "net": net, "tare": tare,
            "overload": overload, "underload": underload}


def _parity(data: bytes) -> bytes:
    return bytes(b | 0x80 if bin(b).count("1") % 2 else b for b in data)


def build() -> tuple[bytes, list[dict[str, Any]]]:
    """The capture and the objects `intake scale decode --json` must print for it."""
    out = bytearray()
    expect: list[dict[str, Any]] = []

    def frame(data: bytes, expected: dict[str, Any]) -> None:
        out.extend(data)
        expect.append(expected)

    out += b"\x00\x00\x00"  # RS-485 idle noise before the first frame
    frame(encode_toledo(0), _ok(0))
    frame(encode_toledo(12340, motion=True), _ok(12340, stable=False))
    out += b"\x00\x02xyz\r\n"  # a stray STX that starts no frame
    frame(encode_toledo(24560), _ok(24560))
    bad = bytearray(encode_toledo(24560))
    good_sum, bad[-1] = bad[-1], (bad[-1] + 1) & 0x7F
    frame(bytes(bad), {"error": f"bad checksum 0x{bad[-1]:02X}, expected 0x{good_sum:02X}"})
    frame(encode_toledo(Decimal("23.50"), dp_code=4, net=True, tare=Decimal("12.00")),
          _ok(23.5, net=True, tare=12))
    out += encode_toledo(777)[:9]  # a frame cut short by a line drop
    frame(encode_toledo(-40, motion=True), _ok(-40, stable=False))
    frame(_parity(encode_toledo(1560)), _ok(1560))  # 7E1 line read as 8N1
    frame(encode_toledo(2000, unit="lb", dp_code=1, count_by=2, tare=None, pad=" "),
          _ok(2000, unit="lb", tare=None))
    frame(encode_toledo(999999, overload=True), _ok(999999, overload=True))
    frame(encode_toledo(-5, overload=True), _ok(-5, underload=True))
    body = bytearray(encode_toledo(12456)[:17])
    body[6] = ord("A")  # a letter in the weight digits, with a checksum that matches it
    frame(bytes(body) + bytes([checksum_of(bytes(body))]),
          {"error": "bad weight field b'01A456': digits with leading spaces expected"})
    frame(encode_toledo(31000, unit="g"), _ok(31000, unit="g"))
    out += encode_toledo(5)[:5]  # capture ends mid-frame
    return bytes(out), expect


def main() -> None:
    data, expect = build()
    FIXTURES.mkdir(parents=True, exist_ok=True)
    (FIXTURES / "toledo_capture.bin").write_bytes(data)
    (FIXTURES / "toledo_capture.jsonl").write_text(
        "".join(json.dumps(obj) + "\n" for obj in expect))


if __name__ == "__main__":
    main()
