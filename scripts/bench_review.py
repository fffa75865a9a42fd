"""Review pages at scale: generate N inspections (default 1,000,000) in a SQLite file, then
measure the queue and inspection pages through the real app on uvicorn over HTTP.

    .venv/bin/python scripts/bench_review.py [--n 1000000] [--db var/bench/review.db] [--requests 100]

The data set is built once (bulk inserts on a raw sqlite3 connection, progress on stderr) and
reused while its row count matches; the schema comes from the real store (migrations and the
review module's tables and indexes). Rows are written without audit-chain links: this measures
reads only, so the item pages show their rows as failing verification and the supplier page
(which needs a verified chain) is not measured here; scripts/bench_integrity.py measures pages
on a linked chain. Mix: 80 % pass, 12 % reject, 8 % review over three years, 20 suppliers, 2 frames
per inspection, and reviews of 1 % of the queue. The queue rows carry thumbnails (one indexed
read per page); the thumbnail images themselves are measured by scripts/bench_thumbnail.py.
"""
from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intake.auth.users import Users  # noqa: E402
from intake.lane.status import LaneStatus, StatusHub  # noqa: E402
from intake.store.db import open_engine  # noqa: E402
from intake.web.app import create_app  # noqa: E402
from intake.web.server import WebServer  # noqa: E402
from bulk_insert import flush  # noqa: E402

BATCH = 20_000
SPAN = timedelta(days=3 * 365)
PASSWORD = "bench password 123"


def progress(label: str, done: int, total: int, started: float) -> None:
    rate = done / max(time.perf_counter() - started, 1e-9)
    print(f"\r{label}: {done:>9,}/{total:,} ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)


def master(conn: sqlite3.Connection, suppliers: int = 20, vehicles: int = 500) -> list[tuple[int, int]]:
    """Suppliers, two materials, vehicles each with one order; returns [(vehicle_id, order_id)]."""
    conn.executemany("INSERT INTO supplier (id, code, name) VALUES (?, ?, ?)",
                     [(i, f"sup-{i:02d}", f"Supplier {i:02d}") for i in range(1, suppliers + 1)])
    conn.executemany("INSERT INTO material (id, code, name, name_zh) VALUES (?, ?, ?, ?)",
                     [(1, "sand", "Sand 0/4", "砂"), (2, "gravel", "Crushed stone 5/25", "碎石")])
    fleet = []
    for v in range(1, vehicles + 1):
        supplier, material = 1 + v % suppliers, 1 + v % 2
        conn.execute("INSERT INTO vehicle (id, plate, supplier_id, bed_length_mm, bed_width_mm) VALUES (?, ?, ?, ?, ?)",
                     (v, f"沪B·{v:05d}", supplier, 7200, 2350))
        conn.execute("INSERT INTO deliveryorder (id, code, supplier_id, material_id, vehicle_id, expected_kg, is_open) "
                     "VALUES (?, ?, ?, ?, ?, ?, 1)", (v, f"PO-{v:05d}", supplier, material, v, 30_000))
        fleet.append((v, v))
    return fleet


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")   # how SQLAlchemy stores DATETIME in SQLite


def generate(db: Path, n: int) -> None:
    db.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    open_engine(f"sqlite:///{db}").dispose()  # made by the migrations
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")   # bulk load only; the app's own connections use FULL
    conn.execute("BEGIN")
    fleet = master(conn)
    rng = random.Random(42)
    start = datetime(2023, 1, 1)
    step = SPAN / n
    began = time.perf_counter()
    rows: dict[str, list[tuple]] = {k: [] for k in ("visit", "weighing", "sample", "inspection", "frame", "decision")}
    for i in range(1, n + 1):
        at = start + step * i
        vehicle, order = fleet[rng.randrange(len(fleet))]
        visit = str(uuid.UUID(int=rng.getrandbits(128)))
        roll = rng.random()
        verdict = "pass" if roll < 0.80 else "reject" if roll < 0.92 else "review"
        label = rng.choice(["muddy", "foreign", "clean_gravel"]) if verdict == "reject" else \
            rng.choice(["clean_sand", "clean_gravel"])
        conf = round(rng.uniform(0.5, 1.0), 3)
        probs = json.dumps({label: conf, "empty": round(1 - conf, 3)})
        rows["visit"].append((visit, "1", vehicle, order, stamp(at)))
        rows["weighing"] += [(visit, "in", 42_000, "pty", stamp(at)), (visit, "out", 14_000, "pty", stamp(at))]
        rows["sample"].append((i, visit, 10_000_000 + i, 0.1, "[[1.2, 0.6], [3.6, 1.7], [6.0, 1.0]]", stamp(at)))
        rows["inspection"].append((i, i, "ab" * 32, label, conf, probs, 1, "[]", stamp(at)))
        quality = '{"ok": true, "reasons": [], "sharpness": 500.0, "mean_luma": 120.0}'
        rows["frame"] += [(i, f"frames/bench/{k}.png", "0" * 64, 1, quality, label, conf) for k in (0, 1)]
        reasons = json.dumps([] if verdict == "pass" else [label if verdict == "reject" else "low_confidence"])
        rows["decision"].append((i, visit, verdict, reasons, label, stamp(at + timedelta(seconds=40))))
        if i % BATCH == 0 or i == n:
            flush(conn, rows, COLUMNS)
            progress("inspections", i, n, began)
    print(file=sys.stderr)
    add_reviews(conn, rng, n)
    conn.execute("COMMIT")
    print("analyzing ...", file=sys.stderr)
    conn.execute("ANALYZE")
    conn.close()


COLUMNS = {
    "visit": ("id", "lane", "vehicle_id", "order_id", "opened_at"),
    "weighing": ("visit_id", "kind", "weight_kg", "scale_port", "recorded_at"),
    "sample": ("id", "visit_id", "blind_code", "draw", "points_m", "recorded_at"),
    "inspection": ("id", "sample_id", "model_sha256", "label", "confidence", "probs", "frames_agree", "faults",
                   "recorded_at"),
    "frame": ("inspection_id", "path", "sha256", "quality_ok", "quality", "label", "confidence"),
    "decision": ("id", "visit_id", "verdict", "reasons", "label", "decided_at"),
}




def add_reviews(conn: sqlite3.Connection, rng: random.Random, n: int) -> None:
    """Review 1 % of the queue: a new decision and a review row each, as the app writes them."""
    queue = conn.execute("SELECT id, visit_id, verdict, decided_at FROM decision WHERE verdict != 'pass'").fetchall()
    picked = rng.sample(queue, len(queue) // 100)
    next_id = n + 1
    for decision_id, visit, verdict, decided_at in picked:
        conn.execute("INSERT INTO decision (id, visit_id, verdict, reasons, label, decided_at) VALUES (?, ?, 'pass', "
                     "'[\"reviewed:bench\"]', 'clean_sand', ?)", (next_id, visit, decided_at))
        conn.execute("INSERT INTO review (visit_id, inspection_id, previous_decision_id, decision_id, reviewer_id, "
                     "reviewer, old_verdict, new_verdict, label, reason, reviewed_at) "
                     "VALUES (?, ?, ?, ?, 1, 'bench', ?, 'pass', 'clean_sand', 'bench', ?)",
                     (visit, decision_id, decision_id, next_id, verdict, decided_at))
        next_id += 1
    print(f"reviews: {len(picked):,}", file=sys.stderr)


def count(db: Path) -> int:
    if not db.exists():
        return -1
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM inspection").fetchone()[0])
    except sqlite3.Error:
        return -1
    finally:
        conn.close()


def measure(client: httpx.Client, paths: list[str]) -> list[float]:
    times = []
    for path in paths:
        began = time.perf_counter()
        reply = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        if reply.status_code != 200:
            raise SystemExit(f"{path}: HTTP {reply.status_code}")
    return times


def scenarios(db: Path, n: int, k: int) -> dict[str, list[str]]:
    rng = random.Random(7)
    conn = sqlite3.connect(db)
    queue_ids = [r[0] for r in conn.execute(
        "SELECT id FROM decision WHERE verdict IN ('reject', 'review') AND id <= ? ORDER BY random() LIMIT ?",
        (n, k))]
    visits = [r[0][:8] for r in conn.execute("SELECT id FROM visit ORDER BY random() LIMIT ?", (k,))]
    conn.close()
    search = lambda term: f"/review?status=all&search={quote(term)}"  # noqa: E731
    day = lambda: (datetime(2023, 1, 1) + timedelta(days=rng.randrange(3 * 365 - 30))).date()  # noqa: E731
    early = lambda: (datetime(2023, 1, 1) + timedelta(days=rng.randrange(2 * 365))).date()  # noqa: E731
    return {
        # No database, no template: what the HTTP round trip itself costs on this machine.
        "baseline: /favicon.ico": ["/favicon.ico"] * k,
        "queue, first page": ["/review"] * k,
        "queue, status=all": ["/review?status=all"] * k,
        "queue, supplier filter": [f"/review?supplier=sup-{rng.randrange(1, 21):02d}" for _ in range(k)],
        "queue, verdict+label": [f"/review?verdict=reject&label={rng.choice(['muddy', 'foreign'])}" for _ in range(k)],
        "queue, 30-day window": [f"/review?date_from={d}&date_to={d + timedelta(days=30)}" for d in
                                 (day() for _ in range(k))],
        "queue, 1-year window": [f"/review?date_from={d}&date_to={d + timedelta(days=365)}" for d in
                                 (early() for _ in range(k))],
        "queue, deep keyset page": [f"/review?before={i}" for i in queue_ids],
        "queue, status=reviewed": ["/review?status=reviewed"] * k,
        "inspection page": [f"/review/{i}" for i in queue_ids],
        "PASS loads to spot-check": ["/review?verdict=pass"] * k,
        "search: plate": [search(f"沪B{rng.randrange(1, 501):05d}") for _ in range(k)],   # typed without the dot
        "search: order code": [search(f"PO-{rng.randrange(1, 501):05d}") for _ in range(k)],
        "search: visit id prefix": [search(v) for v in visits],
        "search: blind code": [search(str(10_000_000 + rng.randrange(1, n + 1))) for _ in range(k)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=ROOT / "var" / "bench" / "review.db")
    parser.add_argument("--requests", type=int, default=100, help="requests per scenario")
    args = parser.parse_args()
    if count(args.db) != args.n:
        began = time.perf_counter()
        generate(args.db, args.n)
        print(f"generated in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    engine = open_engine(f"sqlite:///{args.db}", migrate=False, check=False)
    users = Users(engine)
    if not any(u.username == "bench" for u in users.list()):
        users.add("bench", PASSWORD, "reviewer")
    hub = StatusHub()
    hub.publish(LaneStatus(lane="1"))
    server = WebServer(create_app(hub, engine=engine, data_dir=args.db.parent))
    server.start()
    try:
        # the first queue view builds the counts: at a million inspections on a loaded machine, a minute
        client = httpx.Client(base_url=server.url, headers={"Sec-Fetch-Site": "same-origin"}, timeout=120)
        form = client.get("/login").text
        token = form.split('name="csrf" value="')[1].split('"')[0]
        client.post("/login", data={"csrf": token, "username": "bench", "password": PASSWORD})
        # The first queue view builds the exact counts (one pass over the queue); later views
        # only absorb what was recorded since (intake.web.counts).
        cold = measure(client, ["/review"])[0]
        print(f"\n{args.n:,} inspections, {args.requests} requests per row, one client, times in ms")
        print(f"first queue view after start (builds the counts): {cold:,.0f} ms\n")
        print(f"{'page':<26} {'p50':>8} {'p95':>8} {'max':>8}")
        for name, paths in scenarios(args.db, args.n, args.requests).items():
            measure(client, paths[:3])   # warm the page cache for this query shape
            times = sorted(measure(client, paths))
            p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
            print(f"{name:<26} {statistics.median(times):>8.1f} {p95:>8.1f} {times[-1]:>8.1f}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
