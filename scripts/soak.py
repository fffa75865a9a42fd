"""Soak: the demo plant and the real gate at high speed for many trucks, watching resources.

    .venv/bin/python scripts/soak.py --trucks 400 --speed 300 --every 50 --warmup 100
    .venv/bin/python scripts/soak.py --trucks 10000 --speed 500 --every 500 --warmup 500

Trucks arrive as soon as fewer than `--max-queue` wait, so the deck never idles and the queue
never grows. The simulated clock, the plant's timings and the gate's timeouts all scale with
`--speed`; the loops that poll have wall-time floors, so a fast clock is no busy loop.

Samples this process's resident memory (VmRSS), SQLite's share of it (sqlite3_memory_used), the C
heap in use and free (glibc mallinfo2), Python's allocated blocks, open file descriptors and threads (OS threads and Python threads) every `--every` finished trucks once `--warmup` trucks are done, then
prints growth from the first sample after warm-up to the last, and whether every registered
truck is accounted for (a finished visit summary and the plant saw it leave). Linux only
(reads /proc/self). Exit 0 when every truck is accounted for and memory grew < 5 %, no fd or
thread growth; 1 otherwise.
"""
from __future__ import annotations

import argparse
import asyncio
import ctypes
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hardware.sim.trucks import demo_trucks  # noqa: E402
from intake.demo.runner import DemoOptions, run_demo  # noqa: E402


@dataclass(frozen=True)
class Sample:
    trucks: int
    wall_s: float
    rss_kib: int
    fds: int
    os_threads: int
    py_threads: int
    sqlite_kib: int | None   # SQLite's own heap (page caches, statements), part of rss_kib
    malloc_used_kib: int | None   # glibc: bytes handed out (heap + mmapped), the process's C heap
    malloc_free_kib: int | None   # glibc: free bytes held in the arenas (fragmentation)
    py_blocks: int                # Python's allocated memory blocks (objects that stay)


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


@cache
def _mallinfo2() -> Callable[[], _MallInfo2] | None:
    try:
        fn = ctypes.CDLL(None).mallinfo2   # glibc >= 2.33
    except (OSError, AttributeError):
        return None
    fn.argtypes, fn.restype = [], _MallInfo2
    return fn


def _malloc_kib() -> tuple[int | None, int | None]:
    """(in use, free in the arenas), KiB; (None, None) off glibc."""
    info = _mallinfo2()
    if info is None:
        return None, None
    m = info()
    return (m.uordblks + m.hblkhd) // 1024, m.fordblks // 1024


@cache
def _sqlite_memory_used() -> Callable[[], int] | None:
    # The library Python's sqlite3 module is linked against; dlopen hands back the loaded copy.
    try:
        fn = ctypes.CDLL("libsqlite3.so.0").sqlite3_memory_used
    except (OSError, AttributeError):   # SQLite built into the module, or not this platform
        return None
    fn.argtypes, fn.restype = [], ctypes.c_int64
    return fn


def sample(trucks: int, t0: float) -> Sample:
    status = Path("/proc/self/status").read_text().splitlines()
    fields = {k: v.split()[0] for k, _, v in (line.partition(":") for line in status) if v.split()}
    used = _sqlite_memory_used()
    return Sample(trucks, round(time.monotonic() - t0, 1), int(fields["VmRSS"]),
                  len(os.listdir("/proc/self/fd")), int(fields["Threads"]), threading.active_count(),
                  None if used is None else used() // 1024, *_malloc_kib(), sys.getallocatedblocks())


class Meter:
    """Counts finished trucks (the demo's emit callback) and samples on schedule."""

    def __init__(self, warmup: int, every: int, quiet: bool) -> None:
        self.warmup, self.every, self.quiet = warmup, every, quiet
        # Only what the tally needs: holding whole visit summaries would be growth of our own.
        self.summaries: list[tuple[str, str | None]] = []   # (plate, verdict)
        self.samples: list[Sample] = []
        self.t0 = time.monotonic()

    def __call__(self, summary: dict) -> None:
        if "refused" in summary:   # turned away at the entry: not a finished truck
            return
        self.summaries.append((summary["plate"], summary["verdict"]))
        n = len(self.summaries)
        if n >= self.warmup and (n - self.warmup) % self.every == 0:
            s = sample(n, self.t0)
            self.samples.append(s)
            if not self.quiet:
                print(json.dumps(asdict(s)), file=sys.stderr, flush=True)


def growth(samples: list[Sample]) -> dict[str, object]:
    first, last = samples[0], samples[-1]
    return {
        "from_truck": first.trucks, "to_truck": last.trucks,
        "rss_kib": [first.rss_kib, last.rss_kib],
        "rss_growth_pct": round(100 * (last.rss_kib - first.rss_kib) / first.rss_kib, 2),
        "rss_max_kib": max(s.rss_kib for s in samples),
        "sqlite_kib": [first.sqlite_kib, last.sqlite_kib],
        "malloc_used_kib": [first.malloc_used_kib, last.malloc_used_kib],
        "malloc_free_kib": [first.malloc_free_kib, last.malloc_free_kib],
        "py_blocks": [first.py_blocks, last.py_blocks],
        "fds": [first.fds, last.fds], "fds_max": max(s.fds for s in samples),
        "os_threads": [first.os_threads, last.os_threads], "os_threads_max": max(s.os_threads for s in samples),
        "py_threads": [first.py_threads, last.py_threads],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trucks", type=int, default=10_000)
    ap.add_argument("--speed", type=float, default=500.0,
                    help="simulated seconds per wall second; the gate's timeouts scale with it")
    ap.add_argument("--every", type=int, default=100, help="sample every K finished trucks")
    ap.add_argument("--warmup", type=int, default=100, help="finished trucks before the first sample")
    ap.add_argument("--arrival-gap", type=float, default=5.0,
                    help="simulated seconds between arrivals (at least; see --max-queue)")
    ap.add_argument("--max-queue", type=int, default=2,
                    help="a truck arrives only while fewer than this many wait: the deck never idles, "
                         "the queue never grows")
    ap.add_argument("--dir", type=Path, default=None, help="work dir (database, frames); default: a temp dir")
    ap.add_argument("--minutes", type=float, default=None,
                    help="wall-clock budget; the run is stopped there and the partial figures printed")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if args.warmup < 1 or args.every < 1:
        ap.error("--warmup and --every must be >= 1")
    work = args.dir or Path(tempfile.mkdtemp(prefix="intake-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    meter = Meter(args.warmup, args.every, args.quiet)
    opts = DemoOptions(trucks=args.trucks, speed=args.speed, db=f"sqlite:///{work / 'soak.db'}", web=False,
                       data_dir=work / "data", arrival_gap_s=args.arrival_gap, max_queue=args.max_queue)
    budget = None if args.minutes is None else args.minutes * 60
    try:
        code: int | None = asyncio.run(asyncio.wait_for(run_demo(opts, meter), budget))
    except TimeoutError:
        code = None  # budget spent: only the trucks finished so far are judged
    reported = [plate for plate, _ in meter.summaries]
    planned = demo_trucks(args.trucks)
    if code is None:
        # Trucks up to the last one reported; a registered truck among them with no summary is lost.
        last = max((i for i, t in enumerate(planned) if t.plate in set(reported)), default=-1)
        planned = planned[: last + 1]
    registered = sorted(t.plate for t in planned if t.registered)
    result: dict[str, object] = {
        "trucks_planned": args.trucks, "stopped_by_budget": code is None, "trucks_played": len(planned),
        "registered": len(registered), "summaries": len(reported), "duplicates": len(reported) - len(set(reported)),
        "all_accounted": code in (0, None) and sorted(set(reported)) == registered
        and len(reported) == len(set(reported)),
        "verdicts": {str(v): sum(verdict == v for _, verdict in meter.summaries) for v in ("pass", "reject", "review", None)},
        "wall_s": round(time.monotonic() - meter.t0, 1), "speed": args.speed, "work_dir": str(work),
    }
    if len(meter.samples) >= 2:
        result["growth"] = growth(meter.samples)
    print(json.dumps(result, indent=2))
    g = result.get("growth")
    ok = bool(result["all_accounted"]) and isinstance(g, dict) and g["rss_growth_pct"] < 5 \
        and g["fds"][1] <= g["fds"][0] and g["os_threads"][1] <= g["os_threads"][0]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
