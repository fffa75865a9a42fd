"""`make bench`: measured figures, side by side with their baselines. Not a test: it prints.

Runs every `scripts/bench_*.py` (decoders vs the line rate, review pages, central database,
vision, frame -> verdict vs the naive path and the bare session.run, 1, 2 and 4 lanes busy at
once vs one lane alone), then the gate-level
figures below:
- SQLite record commits (WAL, synchronous=FULL) per second.
- The settlement API page and export on 20,000 chain-linked deliveries.
- The whole demo: wall time for 20 trucks at speed 50.
"""
from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
console = Console()


def bench_store() -> list[tuple[str, str, str, str]]:
    from intake.store.db import open_engine
    from intake.store.records import Records
    from intake.store.tables import Supplier

    with tempfile.TemporaryDirectory() as tmp:
        records = Records(open_engine(f"sqlite:///{tmp}/bench.db"))
        n = 200
        t0 = time.perf_counter()
        for i in range(n):
            records._add(Supplier(code=f"s{i}", name="bench"))
        per = (time.perf_counter() - t0) / n
    return [("SQLite commit (WAL, FULL)", f"{per * 1e3:.2f} ms", "one record per transaction",
             f"{1 / per:,.0f} commits/s")]


def bench_demo() -> list[tuple[str, str, str, str]]:
    from intake.demo.runner import DemoOptions, run_demo

    with tempfile.TemporaryDirectory() as tmp:
        out: list[dict] = []
        opts = DemoOptions(trucks=20, speed=50, db=f"sqlite:///{tmp}/demo.db", web=False,
                           data_dir=Path(tmp) / "data")
        t0 = time.perf_counter()
        asyncio.run(run_demo(opts, out.append))
        wall = time.perf_counter() - t0
    sim = wall * 50
    return [("Demo, 20 trucks at speed 50", f"{wall:.1f} s wall", f"{sim / 60:.0f} simulated minutes",
             f"{sum('refused' not in s for s in out)} trucks finished")]


def bench_settlement() -> list[tuple[str, str, str, str]]:
    """The small settlement figures (scripts/bench_settlement.py runs the 1,000,000 one)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from bench_settlement import small_rows

    return small_rows()


def run_part_scripts() -> None:
    for script in sorted((ROOT / "scripts").glob("bench_*.py")):
        console.rule(script.name)
        subprocess.run([sys.executable, str(script)], cwd=ROOT, check=False)


def main() -> None:
    run_part_scripts()
    table = Table(title="intake gate benchmarks")
    for col in ("what", "ours", "baseline", "ratio"):
        table.add_column(col)
    for bench in (bench_store, bench_settlement, bench_demo):
        console.print(f"running {bench.__name__} ...")
        for row in bench():
            table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    main()
