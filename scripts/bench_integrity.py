"""Integrity in service at scale: N chained records (default 1,000,000) in a SQLite file, then
the gate's start-up verify (from a signed checkpoint, and the whole chain for a first start),
the background whole verify, and the review item page with every shown row checked against
its link, over HTTP on the real app.

    .venv/bin/python scripts/bench_integrity.py [--records 1000000] [--db var/bench/integrity.db]

Rows come from scripts/bench_review.py's generator (7 chained rows a load: 2 weighings, sample,
inspection, 2 frames, decision; reviews of 1 %), then are linked in bulk with the real MAC
(intake.store.chain.link_mac over each row as SQLAlchemy reads it back), so the chain verifies
exactly as the gate's own would. Built once and reused while its link count matches.
"""
from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_review import PASSWORD, generate, measure, progress  # noqa: E402
from intake.auth.users import Users  # noqa: E402
from intake.lane.status import LaneStatus, StatusHub  # noqa: E402
from intake.store.chain import GENESIS, chained_tables, link_mac, row_pk  # noqa: E402
from intake.store.checkpoint import write_checkpoint  # noqa: E402
from intake.store.db import open_engine  # noqa: E402
from intake.store.integrity import state_for, verify_at_start, verify_whole  # noqa: E402
from intake.store.tables import ChainLink  # noqa: E402
from intake.web.app import create_app  # noqa: E402
from intake.web.server import WebServer  # noqa: E402

KEY = b"bench-audit-key-0123456789abcdef"
ROWS_PER_LOAD = 7
BATCH = 5000


def links(db: Path) -> int:
    try:
        con = sqlite3.connect(db)
        try:
            return int(con.execute("SELECT count(*) FROM chainlink").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return -1


def link_all(db: Path) -> int:
    """A link for every row of every chained table, in table order, with the gate's own MAC."""
    from sqlalchemy import select

    engine = open_engine(f"sqlite:///{db}", migrate=False, check=False)
    seq, prev, began = 0, GENESIS, time.perf_counter()
    with engine.begin() as conn:
        for table in chained_tables():
            pk = next(iter(table.primary_key.columns))
            last = None
            while True:
                query = select(table).order_by(pk).limit(BATCH)
                rows = conn.execute(query if last is None else query.where(pk > last)).mappings().all()
                if not rows:
                    break
                out = []
                for row in rows:
                    values = dict(row)
                    key_text, record = row_pk(table, values), str(uuid.uuid4())
                    seq += 1
                    prev = link_mac(KEY, seq, prev, table.name, key_text, record, values)
                    out.append({"seq": seq, "record_uuid": record, "table_name": table.name, "row_pk": key_text,
                                "mac": prev})
                conn.execute(ChainLink.__table__.insert(), out)
                last = rows[-1][pk.name]
                progress("links", seq, seq, began)
    print(file=sys.stderr)
    engine.dispose()
    return seq


def timed(fn, *args) -> float:
    began = time.perf_counter()
    fn(*args)
    return time.perf_counter() - began


def checkpoint_behind(engine, path: Path, behind: int) -> None:
    """A signed head `behind` links before the end: a restart after that many new records."""
    with engine.connect() as conn:
        head = conn.execute(ChainLink.__table__.select().order_by(ChainLink.seq.desc()).limit(1)).first()
        at = conn.execute(ChainLink.__table__.select().where(ChainLink.seq == head.seq - behind)).first()
    write_checkpoint(path, KEY, at.seq, at.mac, datetime.now(timezone.utc))


def pages(engine, db: Path, requests: int) -> tuple[list[float], list[float]]:
    """Item page times over HTTP, and the row checks alone (in-process) for the same visits."""
    from intake.store.db import read_only
    from intake.store.reviews import visit_detail
    from intake.web.verified import detail_failures

    con = sqlite3.connect(db)
    visits = [r[0] for r in con.execute(f"SELECT visit_id FROM decision ORDER BY random() LIMIT {requests}")]
    con.close()
    reader = read_only(engine)
    checks = []
    for visit in visits:
        detail = visit_detail(reader, visit)
        began = time.perf_counter()
        assert detail is not None and not detail_failures(engine, reader, detail)
        checks.append((time.perf_counter() - began) * 1000)
    users = Users(engine)
    if not any(u.username == "bench" for u in users.list()):
        users.add("bench", PASSWORD, "reviewer")
    hub = StatusHub()
    hub.publish(LaneStatus(lane="1"))
    server = WebServer(create_app(hub, engine=engine, data_dir=db.parent))
    server.start()
    try:
        import httpx

        client = httpx.Client(base_url=server.url, headers={"Sec-Fetch-Site": "same-origin"}, timeout=60)
        token = client.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
        client.post("/login", data={"csrf": token, "username": "bench", "password": PASSWORD})
        paths = [f"/review/visit/{v}" for v in visits]
        measure(client, paths[:3])
        return sorted(measure(client, paths)), sorted(checks)
    finally:
        server.stop()


def p95(values: list[float]) -> float:
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="chained records (links), about")
    parser.add_argument("--db", type=Path, default=ROOT / "var" / "bench" / "integrity.db")
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    loads = max(1, args.records // ROWS_PER_LOAD)
    have = links(args.db)
    if have < 0 or abs(have - args.records) > args.records * 0.05:
        began = time.perf_counter()
        generate(args.db, loads)
        have = link_all(args.db)
        print(f"built {have:,} linked records in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    checkpoint = args.db.with_name(args.db.name + ".checkpoint")
    engine = open_engine(f"sqlite:///{args.db}", KEY, migrate=False, check=False)
    checkpoint.unlink(missing_ok=True)
    first = timed(verify_at_start, engine, KEY, checkpoint)            # no checkpoint yet: everything
    assert state_for(engine).ok, state_for(engine).problem
    checkpoint_behind(engine, checkpoint, 1000)
    restart = timed(verify_at_start, open_engine(f"sqlite:///{args.db}", KEY, migrate=False, check=False),
                    KEY, checkpoint)
    whole = timed(verify_whole, engine, KEY, checkpoint)
    page_ms, check_ms = pages(engine, args.db, args.requests)
    print(f"\n{have:,} chained records, {args.requests} item pages")
    print(f"{'what':<46} {'time':>12}")
    print(f"{'start-up verify, 1,000 links since checkpoint':<46} {restart * 1000:>9.1f} ms")
    print(f"{'start-up verify, first start (whole chain)':<46} {first:>10.1f} s")
    print(f"{'background whole verify':<46} {whole:>10.1f} s ({have / whole:,.0f} records/s)")
    print(f"{'item page over HTTP, p50 / p95':<46} {statistics.median(page_ms):>6.1f} / {p95(page_ms):.1f} ms")
    print(f"{'  of which row checks (in-process), p50 / p95':<46} "
          f"{statistics.median(check_ms):>6.2f} / {p95(check_ms):.2f} ms")


if __name__ == "__main__":
    main()
