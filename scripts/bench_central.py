"""Benchmark of the central PostgreSQL at scale, and of the sync's catch-up rate.

A tenth of 100 gates x 200 trucks/day x 5 years = 3.65 M visits, loaded with COPY into the
central schema the sync creates; then the key queries, each run repeatedly with random
parameters (p50/p95), with EXPLAIN showing which indexes answer them. Exit 1 when a query is not
index-backed or its p95 is over 100 ms.

  .venv/bin/python scripts/bench_central.py                       # own throwaway server
  .venv/bin/python scripts/bench_central.py --visits 500000       # smaller
  .venv/bin/python scripts/bench_central.py --central postgresql+psycopg://user@host/db
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from intake.store.db import make_engine  # noqa: E402
from intake.sync.central import ensure_schema, visit_table  # noqa: E402

console = Console(width=150)
START = datetime(2021, 1, 1, tzinfo=timezone.utc)
SUPPLIERS = [f"sup-{i:03d}" for i in range(200)]
MATERIALS = ["sand", "gravel", "stone-5-25", "stone-10-31"]
PLATES = [f"沪{chr(65 + i % 26)}·{i:05d}" for i in range(8000)]
LOT_TRUCKS = 24              # ~600 t lots of ~25 t loads
LIMIT_MS = 100.0

QUERIES = {
    "visit by plate": (
        "SELECT site, visit_id, opened_at, gross_kg, tare_kg, verdict FROM central_visit "
        "WHERE plate = %(plate)s ORDER BY opened_at DESC LIMIT 20"),
    "review queue page": (
        "SELECT site, visit_id, plate, supplier, decided_at FROM central_visit WHERE verdict = 'review' "
        "AND (decided_at, site, visit_id) > (%(after)s, '', '') ORDER BY decided_at, site, visit_id LIMIT 50"),
    "monthly reject rate (supplier, 12 months)": (
        "SELECT date_trunc('month', decided_at) AS month, count(*) AS trucks, "
        "count(*) FILTER (WHERE verdict = 'reject') AS rejects FROM central_visit "
        "WHERE supplier = %(supplier)s AND decided_at >= %(since)s AND decided_at < %(until)s "
        "GROUP BY 1 ORDER BY 1"),
    "lot status": (
        "SELECT lot_id, min(supplier), min(material), count(*) AS trucks, "
        "sum(gross_kg - tare_kg) AS net_kg, count(*) FILTER (WHERE sampled) AS sampled, "
        "count(*) FILTER (WHERE verdict = 'reject') AS rejects, count(*) FILTER (WHERE verdict = 'review') AS held, "
        "min(opened_at), max(opened_at) FROM central_visit WHERE lot_id = %(lot)s GROUP BY lot_id"),
}


def generate(conn: psycopg.Connection, visits: int, sites: int, seed: int) -> dict:
    """COPY `visits` rows, day by day across the sites; returns what the queries draw params from."""
    rng = random.Random(seed)
    per_day = max(1, round(visits / 1826))          # 5 years of days, whatever the size
    lot_count: dict[tuple[str, str, str], int] = {}
    lots: list[str] = []
    cols = [c.name for c in visit_table.columns]
    t0, done = time.monotonic(), 0
    with conn.cursor().copy(f"COPY central_visit ({', '.join(cols)}) FROM STDIN") as copy:
        while done < visits:
            day = START + timedelta(days=done // per_day)
            for _ in range(min(per_day, visits - done)):
                row = _visit(rng, done, sites, day, lot_count, lots)
                copy.write_row([row[c] for c in cols])
                done += 1
            if done % 250_000 < per_day:
                rate = done / (time.monotonic() - t0)
                console.print(f"  generated {done:>9,} / {visits:,} visits  ({rate:,.0f}/s)", highlight=False)
    return {"lots": lots, "days": done // per_day}


def _visit(rng: random.Random, n: int, sites: int, day: datetime, lot_count: dict, lots: list) -> dict:
    site = f"plant-{n % sites:02d}/gate-1"
    supplier = SUPPLIERS[int(rng.paretovariate(1.2)) % len(SUPPLIERS)]
    material = MATERIALS[hash(supplier) % len(MATERIALS)]
    key = (site, supplier, material)
    k = lot_count.get(key, 0)
    lot_count[key] = k + 1
    lot_id = f"{site}:{supplier}:{material}:{k // LOT_TRUCKS}"
    if k % LOT_TRUCKS == 0 and len(lots) < 200_000:
        lots.append(lot_id)
    opened = day + timedelta(seconds=rng.randrange(6 * 3600, 20 * 3600))
    roll = rng.random()
    verdict = None if roll < 0.7 else "pass" if roll < 0.95 else "reject" if roll < 0.98 else "review"
    gross = rng.randrange(30_000, 49_000, 20)
    tare = gross if verdict in ("reject", "review") else rng.randrange(13_000, 17_000, 20)
    return {"site": site, "visit_id": f"{n:012d}", "plate": PLATES[rng.randrange(len(PLATES))],
            "supplier": supplier, "material": material, "lane": "1", "order_code": f"PO-{n // 40:08d}",
            "opened_at": opened, "gross_kg": gross, "tare_kg": tare, "verdict": verdict,
            "decided_at": opened + timedelta(minutes=4), "decision_seq": n, "lot_id": lot_id,
            "lot_no": k // LOT_TRUCKS, "sampled": verdict is not None}


def params(name: str, rng: random.Random, data: dict) -> dict:
    if name == "visit by plate":
        return {"plate": rng.choice(PLATES)}
    if name == "review queue page":
        return {"after": START + timedelta(days=rng.randrange(data["days"]))}
    if name.startswith("monthly"):
        since = START + timedelta(days=rng.randrange(max(1, data["days"] - 365)))
        return {"supplier": rng.choice(SUPPLIERS[:50]), "since": since, "until": since + timedelta(days=365)}
    return {"lot": rng.choice(data["lots"])}


def indexes_used(conn: psycopg.Connection, sql: str, args: dict) -> list[str]:
    plan = conn.execute("EXPLAIN (FORMAT JSON) " + sql, args).fetchone()[0]
    found: list[str] = []

    def walk(node: dict) -> None:
        if "Index Name" in node:
            found.append(f"{node['Node Type']} {node['Index Name']}")
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"] if isinstance(plan, list) else json.loads(plan)[0]["Plan"])
    return found


def measure(conn: psycopg.Connection, data: dict, runs: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    results = []
    for name, sql in QUERIES.items():
        times, rows = [], 0
        for _ in range(runs):
            args = params(name, rng, data)
            t0 = time.perf_counter()
            rows += len(conn.execute(sql, args).fetchall())
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        results.append({"query": name, "p50_ms": statistics.median(times),
                        "p95_ms": times[int(0.95 * (len(times) - 1))], "rows_avg": rows / runs,
                        "indexes": indexes_used(conn, sql, params(name, rng, data))})
    return results


def load(url: str, visits: int, sites: int, seed: int) -> dict:
    engine = make_engine(url)
    ensure_schema(engine)
    engine.dispose()
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("TRUNCATE central_visit")
        # Load without the indexes, then build them once: far faster than maintaining them row by row.
        indexes = [i for i in visit_table.indexes]
        for index in indexes:
            conn.execute(f"DROP INDEX IF EXISTS {index.name}")
        t0 = time.monotonic()
        data = generate(conn, visits, sites, seed)
        t_copy = time.monotonic() - t0
        console.print(f"  COPY {visits:,} visits: {t_copy:.0f} s; building indexes, VACUUM ANALYZE ...")
        engine = make_engine(url)
        with engine.begin() as sa_conn:
            for index in indexes:
                index.create(sa_conn)
        engine.dispose()
        conn.execute("VACUUM ANALYZE central_visit")
        size = conn.execute("SELECT pg_size_pretty(pg_total_relation_size('central_visit'))").fetchone()[0]
        data.update(load_s=time.monotonic() - t0, copy_s=t_copy, size=size, dsn=dsn)
    return data


def sync_rate(server_url: str, trucks: int) -> dict:
    """Records per second of `catch_up` from a gate's SQLite file into the centre (3 records/truck)."""
    from intake.store.db import open_engine
    from intake.sync.central import register_site
    from intake.sync.client import catch_up
    from tests.intake.sync.conftest import Gate
    from hardware.sim.trucks import DEMO_MIX
    from intake.demo import masterdata

    key, site = b"bench-site-key-0123456789abcdef", "bench/gate-1"
    with tempfile.TemporaryDirectory() as tmp:
        gate = Gate(open_engine(f"sqlite:///{tmp}/gate.db", key), f"sqlite:///{tmp}/gate.db")
        masterdata.seed(gate.engine, list(DEMO_MIX))
        gate.write(trucks, per_commit=200)
        central = make_engine(server_url)
        register_site(central, site, key)
        t0 = time.monotonic()
        done = catch_up(gate.engine, central, site, key, batch_size=500)
        elapsed = time.monotonic() - t0
        central.dispose()
        gate.engine.dispose()
    return {"records": done.high_seq, "seconds": elapsed, "per_s": done.high_seq / elapsed}


def report(results: list[dict], data: dict, visits: int, sync: dict | None) -> bool:
    table = Table(title=f"central_visit: {visits:,} visits ({data['size']}), {data['days']} days")
    for col in ("query", "p50 ms", "p95 ms", "rows", "index use (EXPLAIN)", "ok"):
        table.add_column(col)
    ok_all = True
    for r in results:
        ok = bool(r["indexes"]) and r["p95_ms"] < LIMIT_MS
        ok_all &= ok
        table.add_row(r["query"], f"{r['p50_ms']:.2f}", f"{r['p95_ms']:.2f}", f"{r['rows_avg']:.1f}",
                      "\n".join(r["indexes"]) or "NONE (sequential scan)", "yes" if ok else "NO")
    console.print(table)
    console.print(f"load: COPY {data['copy_s']:.0f} s, total with indexes and VACUUM ANALYZE {data['load_s']:.0f} s")
    if sync:
        console.print(f"sync catch-up: {sync['records']:,} records in {sync['seconds']:.1f} s = "
                      f"{sync['per_s']:,.0f} records/s (SQLite gate -> PostgreSQL, batches of 500)")
    return ok_all


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--central", help="PostgreSQL URL (default: start a throwaway local server)")
    ap.add_argument("--visits", type=int, default=3_650_000)
    ap.add_argument("--sites", type=int, default=10)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--sync-trucks", type=int, default=3000, help="trucks for the catch-up rate (0: skip)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    server = None
    if args.central:
        url = args.central
    else:
        from intake.sync.devserver import start_dev_server

        server = start_dev_server()
        url = server.create_database("bench")
        console.print(f"throwaway server on 127.0.0.1:{server.port}")
    try:
        data = load(url, args.visits, args.sites, args.seed)
        with psycopg.connect(data["dsn"]) as conn:
            results = measure(conn, data, args.runs, args.seed)
        sync = None
        if args.sync_trucks:
            sync_url = server.create_database("bench_sync") if server else url
            sync = sync_rate(sync_url, args.sync_trucks)
        return 0 if report(results, data, args.visits, sync) else 1
    finally:
        if server is not None:
            from intake.sync.devserver import destroy

            destroy(server)


if __name__ == "__main__":
    sys.exit(main())
