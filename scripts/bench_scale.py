"""Decoder throughput for every protocol, as a multiple of a 115200-baud line (10 bits per
byte = 11,520 bytes/s), measured side by side on the same kind of stream: 20,000 encoded
frames of a rising load, fed in 64-byte chunks as a serial port delivers them.

    .venv/bin/python scripts/bench_scale.py
"""
from __future__ import annotations

import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hardware.scale.codecs import CODECS, get_decoder  # noqa: E402
from hardware.scale.state import IndicatorState  # noqa: E402

LINE_BYTES_PER_S = 115200 / 10
FRAMES = 20_000
CHUNK = 64


def stream(protocol: str) -> bytes:
    encode = CODECS[protocol].encode
    return b"".join(encode(IndicatorState(Decimal(10_000 + 20 * (i % 2000)), motion=i % 3 == 0))
                    for i in range(FRAMES))


def seconds_per_run(protocol: str, data: bytes, repeat: int = 3) -> float:
    samples = []
    for _ in range(repeat + 1):  # the first run warms up
        decoder = get_decoder(protocol)
        started = time.perf_counter()
        for i in range(0, len(data), CHUNK):
            decoder.feed(data[i:i + CHUNK])
        decoder.flush()  # the "=" stream's last frame ends with the stream
        samples.append(time.perf_counter() - started)
        assert decoder.frames == FRAMES and decoder.errors == 0, protocol
    return statistics.median(samples[1:])


def rows() -> list[tuple[str, str, str, str, str]]:
    out = []
    for protocol in CODECS:
        data = stream(protocol)
        per_run = seconds_per_run(protocol, data)
        byte_rate = len(data) / per_run
        out.append((protocol, f"{len(data) // FRAMES}", f"{FRAMES / per_run:,.0f}",
                    f"{byte_rate / 1e6:.2f}", f"{byte_rate / LINE_BYTES_PER_S:,.0f}x"))
    return out


def main() -> None:
    table = Table(title="scale decoders vs a 115200-baud line (11,520 bytes/s)")
    for col in ("protocol", "bytes/frame", "frames/s", "MB/s", "x line rate"):
        table.add_column(col, justify="right" if col != "protocol" else "left")
    for row in rows():
        table.add_row(*row)
    Console().print(table)


if __name__ == "__main__":
    main()
