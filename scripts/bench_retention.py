"""Photo retention on a soak's work folder: not a test, it prints (and deletes that folder's photos).

    .venv/bin/python scripts/soak.py --trucks 10000 --dir var/soak
    .venv/bin/python scripts/bench_retention.py --dir var/soak --key file:var/demo/audit.key --days 100

Judges the soak's loads as if `--days` had passed (the soak's loads are minutes old): a dry run,
the prune itself, and a second run that must find nothing; then verifies the audit chain with
the removal records in it.
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from intake.config import RetentionConfig  # noqa: E402
from intake.store.audit import verify  # noqa: E402
from intake.store.db import open_engine  # noqa: E402
from intake.store.keys import load_key  # noqa: E402
from intake.store.retention import prune_frames  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, required=True, help="the soak's --dir (soak.db, data/)")
    ap.add_argument("--key", required=True, help="the audit key the soak used: file:PATH or env:NAME")
    ap.add_argument("--days", type=float, default=100.0, help="judge ages as if this many days had passed")
    args = ap.parse_args(argv)
    key = load_key(args.key)
    engine = open_engine(f"sqlite:///{args.dir / 'soak.db'}", key, check=False)
    data, policy = args.dir / "data", RetentionConfig(min_free_gb=0)   # by age only
    now = datetime.now(timezone.utc) + timedelta(days=args.days)
    t0 = time.monotonic()
    prune_frames(engine, data, policy, now=now, dry_run=True)
    t1 = time.monotonic()
    totals = prune_frames(engine, data, policy, now=now)
    t2 = time.monotonic()
    again = prune_frames(engine, data, policy, now=now)
    report = verify(engine, key)
    table = Table("rule", "loads", "photos", "GB", "failed", title=f"photo retention, {args.days:g} days on")
    for t in totals:
        table.add_row(t.rule, str(t.loads), str(t.files), f"{t.bytes / 1e9:.2f}", str(t.failed))
    console = Console()
    console.print(table)
    loads = sum(t.loads for t in totals)
    console.print(f"dry run {t1 - t0:.1f} s; prune {t2 - t1:.1f} s ({loads / max(t2 - t1, 1e-9):.0f} loads/s); "
                  f"second run: {'nothing due' if not again else again}; chain verifies: {report.ok}")
    return 0 if report.ok and not again and not any(t.failed for t in totals) else 1


if __name__ == "__main__":
    sys.exit(main())
