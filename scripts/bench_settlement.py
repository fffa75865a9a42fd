"""Settlement export at scale: N ticketed deliveries (default 1,000,000) in a SQLite file, then
the export's memory while it streams the whole period, and the ERP API's page latency.

    .venv/bin/python scripts/bench_settlement.py [--n 1000000] [--db var/bench/settlement.db]
                                                 [--linked 50000] [--requests 200] [--limit 100]

The data set is built once (bulk inserts on a raw sqlite3 connection; the schema from the real
migrations) and reused while its ticket count matches. The rows of the last --linked deliveries
(default: all; visit, two weighings, decision, ticket) get real audit-chain links, computed as
the gate's chain computes them, so pages and the export pay the real per-row verification (an
HMAC a row). Rows without links (with a smaller --linked) are "record fails verification", and
every failing row is remembered by the integrity state (intake.store.integrity: the lanes close
on it), which makes RSS grow with them: measure memory on a fully linked set. Mix: 80 % pass, 12 % reject (exit
weight, net 0), 8 % review, over three years, 20 suppliers.

Figures: RSS (from /proc/self/statm) before the export, after its first 10 %, at its highest
and at its end, lines/s; API p50/p95 for a page of --limit lines at random cursors in the
linked tail and across the whole range, and for the first page. Not a test: it prints.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intake.lane.status import StatusHub  # noqa: E402
from intake.settlement.lines import encode_cursor, window  # noqa: E402
from intake.settlement.local import chain_check, deliveries  # noqa: E402
from intake.store.db import open_engine  # noqa: E402
from intake.web.app import create_app  # noqa: E402
from intake.web.server import WebServer  # noqa: E402
from intake.web.settlement import settlement_router  # noqa: E402
from bulk_insert import flush  # noqa: E402

KEY = b"bench-settlement-audit-key-0123456789"
TOKEN = "bench-erp-token"
BATCH = 20_000
SPAN = timedelta(days=3 * 365)
START = datetime(2023, 1, 1)
SUPPLIERS = 20
WARM = 20   # requests of each shape before the counted ones (3 left the first shape paying the warm-up)


def progress(label: str, done: int, total: int, started: float) -> None:
    rate = done / max(time.perf_counter() - started, 1e-9)
    print(f"\r{label}: {done:>9,}/{total:,} ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")   # how SQLAlchemy stores DATETIME in SQLite


def master(conn: sqlite3.Connection, vehicles: int = 500) -> list[tuple[int, str, int]]:
    """Suppliers, two materials, vehicles each with one order: [(vehicle id, plate, supplier)]."""
    conn.executemany("INSERT INTO supplier (id, code, name) VALUES (?, ?, ?)",
                     [(i, f"sup-{i:02d}", f"Supplier {i:02d}") for i in range(1, SUPPLIERS + 1)])
    conn.executemany("INSERT INTO material (id, code, name, name_zh) VALUES (?, ?, ?, ?)",
                     [(1, "sand", "Sand 0/4", "砂"), (2, "gravel", "Crushed stone 5/25", "碎石")])
    fleet = []
    for v in range(1, vehicles + 1):
        supplier = 1 + v % SUPPLIERS
        conn.execute("INSERT INTO vehicle (id, plate, supplier_id, bed_length_mm, bed_width_mm) VALUES (?, ?, ?, 7200, 2350)",
                     (v, f"沪B·{v:05d}", supplier))
        conn.execute("INSERT INTO deliveryorder (id, code, supplier_id, material_id, vehicle_id, expected_kg, is_open) "
                     "VALUES (?, ?, ?, ?, ?, 30000, 1)", (v, f"PO-{v:05d}", supplier, 1 + v % 2, v))
        fleet.append((v, f"沪B·{v:05d}", supplier))
    return fleet


COLUMNS = {
    "visit": ("id", "lane", "vehicle_id", "order_id", "opened_at"),
    "weighing": ("id", "visit_id", "kind", "weight_kg", "scale_port", "recorded_at"),
    "decision": ("id", "visit_id", "verdict", "reasons", "label", "decided_at"),
    "ticket": ("id", "number", "code", "visit_id", "plant", "lane", "plate", "supplier_code", "supplier_name",
               "order_code", "material_code", "material_name", "material_name_zh", "gross_kg", "second_kg",
               "second_kind", "tare_source", "net_kg", "received", "weighed_in_at", "weighed_out_at", "verdict",
               "reasons", "issued_at", "issued_by"),
}




def delivery(i: int, n: int, rng: random.Random, fleet: list[tuple[int, str, int]]) -> dict[str, tuple]:
    at = START + SPAN / n * i
    vehicle, plate, supplier = fleet[rng.randrange(len(fleet))]
    visit = str(uuid.UUID(int=rng.getrandbits(128)))
    roll = rng.random()
    verdict = "pass" if roll < 0.80 else "reject" if roll < 0.92 else "review"
    gross = 40_000 + rng.randrange(0, 4_000, 20)
    received = verdict == "pass"
    second = 14_000 + rng.randrange(0, 600, 20) if received else gross - 20
    reasons = json.dumps([] if received else ["muddy" if verdict == "reject" else "low_confidence"])
    out_at = at + timedelta(minutes=20)
    material = ("sand", "Sand 0/4", "砂") if vehicle % 2 == 0 else ("gravel", "Crushed stone 5/25", "碎石")
    return {
        "visit": (visit, "1", vehicle, vehicle, stamp(at)),
        "weighing": [(2 * i - 1, visit, "in", gross, "pty", stamp(at)), (2 * i, visit, "out", second, "pty", stamp(out_at))],
        "decision": (i, visit, verdict, reasons, None, stamp(at + timedelta(minutes=5))),
        "ticket": (i, i, f"B{i:015d}", visit, "Bench plant", "1", plate, f"sup-{supplier:02d}", f"Supplier {supplier:02d}",
                   f"PO-{vehicle:05d}", *material, gross, second, "tare" if received else "exit",
                   "weighed" if received else None, gross - second if received else 0, int(received), stamp(at),
                   stamp(out_at), verdict, reasons, stamp(out_at + timedelta(seconds=2)), "gate"),
    }


def generate(db: Path, n: int) -> None:
    db.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    open_engine(f"sqlite:///{db}", KEY).dispose()   # the schema by the real migrations
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")   # bulk load only; the app's own connections use FULL
    conn.execute("BEGIN")
    fleet = master(conn)
    rng = random.Random(42)
    began = time.perf_counter()
    rows: dict[str, list[tuple]] = {k: [] for k in COLUMNS}
    for i in range(1, n + 1):
        for table, value in delivery(i, n, rng, fleet).items():
            rows[table].extend(value if isinstance(value, list) else [value])
        if i % BATCH == 0 or i == n:
            flush(conn, rows, COLUMNS)
            progress("deliveries", i, n, began)
    print(file=sys.stderr)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def link_tail(db: Path, n: int, linked: int, upto: int | None = None) -> None:
    """Real chain links for the rows of the last `linked` deliveries (those up to `upto`, the
    last by default), as the gate computes them; the chain goes on from its current head."""
    from sqlalchemy import Table, select

    from intake.store.chain import GENESIS, link_mac, row_pk
    from intake.store.tables import ChainLink, Decision, Visit, Weighing
    from intake.ticket.tables import Ticket

    engine = open_engine(f"sqlite:///{db}", KEY, migrate=False, check=False)
    first, n = max(1, n - linked + 1), upto if upto is not None else n
    began = time.perf_counter()
    ticket = Ticket.__table__
    with engine.connect() as conn:
        top = conn.execute(select(ChainLink.seq, ChainLink.mac).order_by(ChainLink.seq.desc()).limit(1)).first()
        seq, prev = (int(top[0]), str(top[1])) if top else (0, GENESIS)
        for lo in range(first, n + 1, 2_000):
            hi = min(n, lo + 1_999)
            visits = [v for (v,) in conn.execute(select(ticket.c.visit_id).where(ticket.c.id.between(lo, hi)))]
            parts: list[tuple[Table, object]] = [
                (Visit.__table__, Visit.__table__.c.id.in_(visits)),
                (Weighing.__table__, Weighing.__table__.c.visit_id.in_(visits)),
                (Decision.__table__, Decision.__table__.c.visit_id.in_(visits)),
                (ticket, ticket.c.id.between(lo, hi))]
            links = []
            for table, where in parts:
                for r in conn.execute(select(table).where(where)).mappings():
                    row = dict(r)
                    seq += 1
                    pk, record = row_pk(table, row), str(uuid.uuid4())
                    prev = link_mac(KEY, seq, prev, table.name, pk, record, row)
                    links.append({"seq": seq, "record_uuid": record, "table_name": table.name, "row_pk": pk, "mac": prev})
            conn.execute(ChainLink.__table__.insert(), links)
            conn.commit()
            progress("links for the tail", hi - first + 1, n - first + 1, began)
    print(file=sys.stderr)
    engine.dispose()


def first_linked(db: Path) -> int | None:
    """The lowest ticket id with a chain link (links cover it and every delivery after it)."""
    conn = sqlite3.connect(db)
    try:
        found = conn.execute("SELECT min(CAST(row_pk AS INTEGER)) FROM chainlink WHERE table_name = 'ticket'").fetchone()[0]
    finally:
        conn.close()
    return int(found) if found is not None else None


def count(db: Path) -> int:
    if not db.exists():
        return -1
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM ticket").fetchone()[0])
    except sqlite3.Error:
        return -1
    finally:
        conn.close()


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def bench_export(db: Path, n: int) -> None:
    from intake.cli.settlement import csv_chunks

    engine = open_engine(f"sqlite:///{db}", KEY, migrate=False, check=False)
    w = window("2023-01-01", "2025-12-31", timezone.utc, max_days=3 * 366 + 31)   # the whole span
    before = rss_mb()
    samples: list[tuple[int, float]] = []
    lines = 0

    def counted():
        nonlocal lines
        for d in deliveries(engine, w, "bench", chain_check(engine)):
            lines += 1
            if lines % 50_000 == 0:
                samples.append((lines, rss_mb()))
            yield d

    began = time.perf_counter()
    size = 0
    with tempfile.TemporaryFile("w", encoding="utf-8", newline="") as out:
        for chunk in csv_chunks(counted(), timezone.utc):
            size += out.write(chunk)
    wall = time.perf_counter() - began
    after = rss_mb()
    tenth = next((r for k, r in samples if k >= n // 10), after)
    print(f"\nexport of {lines:,} lines ({size / 2**20:,.0f} MB of CSV) in {wall:.1f} s, {lines / wall:,.0f} lines/s")
    print(f"RSS MB: before {before:.1f}, after 10 % {tenth:.1f}, highest {max([r for _, r in samples] + [after]):.1f}, "
          f"end {after:.1f}  (samples every 50,000 lines: "
          f"{', '.join(f'{r:.1f}' for _, r in samples[:: max(1, len(samples) // 10)])})")
    engine.dispose()


def bench_api(db: Path, n: int, linked: int, requests: int, limit: int) -> None:
    engine = open_engine(f"sqlite:///{db}", KEY, migrate=False, check=False)
    app = create_app(StatusHub(), engine=engine)
    app.include_router(settlement_router(engine, TOKEN, "bench"))
    server = WebServer(app)
    server.start()
    rng = random.Random(7)
    tail = max(0, n - linked)
    shapes = {
        "baseline: /favicon.ico": ["favicon"] * requests,   # the HTTP round trip alone, this machine
        "first page (after=none)": [None] * requests,
        "random cursor, linked tail": [encode_cursor({"t": rng.randrange(tail, n - limit)}) for _ in range(requests)],
        "random cursor, whole range": [encode_cursor({"t": rng.randrange(0, n - limit)}) for _ in range(requests)],
        "caught up (empty page)": [encode_cursor({"t": n})] * requests,
    }
    try:
        print(f"\nAPI: {n:,} deliveries, pages of {limit}, {requests} requests a row, one client, ms")
        # The ERP is another process: the client runs in its own (no GIL shared with the server).
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            rows = pool.apply(measure_http, (server.url, shapes, limit))
        print(f"{'page':<30} {'p50':>8} {'p95':>8} {'max':>8}  verified lines")
        for name, p50, p95, top, verified in rows:
            print(f"{name:<30} {p50:>8.1f} {p95:>8.1f} {top:>8.1f}  {verified:,}")
        in_process(engine, shapes, limit)
    finally:
        server.stop()
        engine.dispose()


def measure_http(url: str, shapes: dict[str, list], limit: int) -> list[tuple[str, float, float, float, int]]:
    client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    out = []
    for name, cursors in shapes.items():
        times, verified = [], 0
        for cursor in cursors[:WARM] + cursors:   # the first requests of a shape are not counted
            params = {"limit": str(limit), **({"after": cursor} if cursor else {})}
            began = time.perf_counter()
            reply = client.get("/favicon.ico") if cursor == "favicon" else \
                client.get("/api/settlement/deliveries", params=params)
            times.append((time.perf_counter() - began) * 1000)
            if reply.status_code != 200:
                raise SystemExit(f"HTTP {reply.status_code}: {reply.text[:200]}")
            if cursor != "favicon":
                verified += sum(bool(d["verified"]) for d in reply.json()["deliveries"])
        times = sorted(times[WARM:])
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        out.append((name, statistics.median(times), p95, times[-1], verified))
    return out


def in_process(engine, shapes: dict[str, list], limit: int) -> None:
    """The same pages without HTTP: the query, the chain check and the JSON lines."""
    from zoneinfo import ZoneInfo

    from intake.settlement.lines import as_json, decode_cursor
    from intake.settlement.local import page
    from intake.store.db import read_only

    reader, zone, check = read_only(engine), ZoneInfo("UTC"), chain_check(engine)
    print("\nthe same without HTTP (page + chain check + JSON), ms")
    for name, cursors in shapes.items():
        if cursors[0] == "favicon":
            continue
        times = []
        for cursor in cursors:
            began = time.perf_counter()
            lines, _, _ = page(reader, decode_cursor(cursor).get("t", 0), limit, "bench", check)
            json.dumps([as_json(d, zone) for d in lines])
            times.append((time.perf_counter() - began) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        print(f"{name:<30} {statistics.median(times):>8.1f} {p95:>8.1f} {times[-1]:>8.1f}")


def bench_summary(db: Path) -> None:
    """The API's summary over its longest period (31 days) at the end of the span (linked rows)."""
    from intake.settlement.lines import summarise

    engine = open_engine(f"sqlite:///{db}", KEY, migrate=False, check=False)
    began = time.perf_counter()
    lines = list(deliveries(engine, window("2025-12-01", "2025-12-31", timezone.utc), "bench", chain_check(engine)))
    rows = summarise(lines, timezone.utc)
    wall = time.perf_counter() - began
    print(f"\nsummary of 31 days ({len(lines):,} lines, {sum(d.verified is True for d in lines):,} verified, "
          f"{len(rows)} day x supplier rows): {wall:.1f} s")
    engine.dispose()


def small_rows(n: int = 20_000) -> list[tuple[str, str, str, str]]:
    """For scripts/bench.py: a small data set (all of it linked), one page and one export, in process."""
    from zoneinfo import ZoneInfo

    from intake.settlement.lines import as_json
    from intake.settlement.local import page
    from intake.store.db import read_only

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "settlement.db"
        generate(db, n)
        link_tail(db, n, n)
        engine = open_engine(f"sqlite:///{db}", KEY, migrate=False, check=False)
        reader, zone, rng = read_only(engine), ZoneInfo("UTC"), random.Random(3)
        times = []
        for _ in range(50):
            began = time.perf_counter()
            lines, _, _ = page(reader, rng.randrange(n - 100), 100, "bench", chain_check(engine))
            json.dumps([as_json(d, zone) for d in lines])
            times.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        exported = sum(1 for _ in deliveries(engine, window("2023-01-01", "2025-12-31", timezone.utc, max_days=1200),
                                             "bench", chain_check(engine)))
        wall = time.perf_counter() - began
        engine.dispose()
    return [(f"Settlement API page of 100, {n:,} deliveries (in process, chain-checked)",
             f"{statistics.median(times):.1f} ms p50", "target < 100 ms", f"{sorted(times)[47]:.1f} ms p95"),
            (f"Settlement export, {n:,} deliveries (chain-checked)", f"{exported / wall:,.0f} lines/s",
             "-", f"{wall:.1f} s")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=ROOT / "var" / "bench" / "settlement.db")
    parser.add_argument("--linked", type=int, default=None, help="deliveries at the end with real chain links "
                                                                "(default: all)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--no-summary", action="store_true", help="skip the 31-day summary")
    parser.add_argument("--no-export", action="store_true", help="skip the export of the whole set")
    args = parser.parse_args()
    linked = min(args.linked or args.n, args.n)
    if count(args.db) != args.n:
        began = time.perf_counter()
        generate(args.db, args.n)
        link_tail(args.db, args.n, linked)
        print(f"generated in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    # A set built by an older checkout: bring its schema to the current head (cheap when it is).
    open_engine(f"sqlite:///{args.db}", KEY, migrate=True, check=False).dispose()
    have = first_linked(args.db)
    if have is not None and have > args.n - linked + 1:   # a data set built with fewer links: add the front
        began = time.perf_counter()
        link_tail(args.db, have - 1, linked - (args.n - have + 1), upto=have - 1)
        print(f"linked in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    bench_api(args.db, args.n, linked, args.requests, min(args.limit, args.n // 2))
    if not args.no_summary:
        bench_summary(args.db)
    if not args.no_export:
        bench_export(args.db, args.n)


if __name__ == "__main__":
    main()
