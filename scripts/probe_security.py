"""Outside-in probe of a running gate (e.g. `intake demo`) for the findings of the hardening
issue: repeats each attack against the live server and prints one table row per check.

    .venv/bin/python scripts/probe_security.py http://127.0.0.1:8080 [--user demo --password PW]
        [--token demo-plate-camera-token] [--lab-token demo-lab-token] [--admin-user A --admin-password P]
        [--db var/demo/intake.db --data-dir var/demo]

Loopback only (the URL must be 127.0.0.0/8 or ::1) and bounded: a few hundred requests at
most, every one with a timeout, streams closed at the end. Attacks that need another client
address bind to 127.0.0.N (all of 127/8 is local on Linux). Checks that need a login or a token
are reported as skipped without one. Exit status 1 when any check fails.
"""
from __future__ import annotations

import argparse
import ipaddress
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

TIMEOUT = httpx.Timeout(10.0)
HUGE = "99999999999999999999999"
Row = tuple[str, str, str, bool | None]   # finding, check, what was seen, passed (None: skipped)


@dataclass
class Target:
    url: str
    user: str | None
    password: str | None
    token: str | None
    lab_token: str | None
    admin_user: str | None
    admin_password: str | None
    db: Path | None
    data_dir: Path | None

    def client(self, source: str = "127.0.0.1") -> httpx.Client:
        transport = httpx.HTTPTransport(local_address=source)
        return httpx.Client(base_url=self.url, timeout=TIMEOUT, transport=transport,
                            headers={"Sec-Fetch-Site": "same-origin", "Origin": self.url})


def login(t: Target, user: str | None, password: str | None) -> httpx.Client | None:
    if not user or not password:
        return None
    client = t.client()
    form = client.get("/login").text
    token = form.split('name="csrf" value="')[1].split('"')[0]
    reply = client.post("/login", data={"csrf": token, "username": user, "password": password})
    return client if reply.status_code == 303 else None


def bad_login(client: httpx.Client, user: str, headers: dict[str, str] | None = None) -> int:
    form = client.get("/login").text
    token = form.split('name="csrf" value="')[1].split('"')[0]
    return client.post("/login", data={"csrf": token, "username": user, "password": "wrong guess"},
                       headers=headers or {}).status_code


def f1_integrity(t: Target) -> list[Row]:
    health = t.client().get("/health").json()
    metrics = t.client().get("/metrics").text
    seen = f"/health integrity={health.get('integrity')!r}; intake_chain_ok in /metrics: {'intake_chain_ok' in metrics}"
    return [("1", "chain state reported on /health and /metrics", seen,
             "integrity" in health and "intake_chain_ok" in metrics)]


def f2_streams(t: Target, lane: str) -> list[Row]:
    url = f"/kiosk/{lane}/events"
    with ExitStack() as stack:
        held = []
        for n in range(40):   # strangers on ten addresses, four each
            client = stack.enter_context(t.client(f"127.0.0.{100 + n // 4}"))
            response = stack.enter_context(client.stream("GET", url))
            held.append(response.status_code)
        kiosk = stack.enter_context(t.client("127.0.0.99")).get(f"/kiosk/{lane}")
        with t.client("127.0.0.98").stream("GET", url) as latecomer:
            code = latecomer.status_code
    seen = f"40 held streams: {held.count(200)} x 200, {held.count(503)} x 503; one more: {code}"
    return [("2", "held streams cannot shut out a newcomer", seen, code == 200 and kiosk.status_code == 200)]


def f3_forwarded(t: Target) -> list[Row]:
    client = t.client("127.0.0.61")
    codes = [bad_login(client, f"probe-spray-{n}", {"X-Forwarded-For": f"198.51.100.{n}"}) for n in range(22)]
    return [("3", "X-Forwarded-For does not reset the per-client limit",
             f"22 spoofed-header failures: {codes.count(401)} x 401, {codes.count(429)} x 429", 429 in codes)]


def f4_bodies(t: Target) -> list[Row]:
    client = t.client()
    nan = client.post("/api/ident/plate", content='{"lane": "1", "plate": "AB123", "confidence": NaN}',
                      headers={"Content-Type": "application/json"})
    rows: list[Row] = [("4", "no token: NaN body refused before parsing", f"{nan.status_code}", nan.status_code == 401)]
    if not t.token:
        return rows + [("4", "body limit and no echo", "no --token", None)]
    auth = {"Authorization": f"Bearer {t.token}", "Content-Type": "application/json"}
    big = client.post("/api/ident/plate", content='{"lane": "1", "plate": "' + "Z" * (5 << 20) + '"}', headers=auth)
    echo = client.post("/api/ident/plate", json={"lane": "1", "plate": "Z" * 20000}, headers=auth)
    token_nan = client.post("/api/ident/plate", content='{"lane": "1", "plate": "AB1", "confidence": NaN}',
                            headers=auth)
    return rows + [
        ("4", "5 MB body refused", f"{big.status_code}, {len(big.content)} bytes back", big.status_code == 413),
        ("4", "422 does not echo a 20 kB field", f"{echo.status_code}, {len(echo.content)} bytes back",
         echo.status_code == 422 and len(echo.content) < 2000),
        ("4", "NaN with token is 422, not 500", str(token_nan.status_code), token_nan.status_code == 422)]


def f5_codes(t: Target, lane: str) -> list[Row]:
    if not t.token:
        return [("5", "order codes", "no --token", None)]
    client, auth = t.client(), {"Authorization": f"Bearer {t.token}"}
    other = client.post("/api/ident/order-code", json={"lane": "probe-999", "code": "PO-PROBE-1"}, headers=auth)
    wrong = client.post("/api/ident/order-code", json={"lane": lane, "code": "PO-PROBE-2"}, headers=auth)
    if wrong.status_code == 429:
        return [("5", "order codes", "lane still throttled by an earlier run: try again in a minute", None)]
    uniform = (other.status_code, other.text) == (wrong.status_code, wrong.text)
    codes = [client.post("/api/ident/order-code", json={"lane": lane, "code": f"PO-PROBE-{n}"},
                         headers=auth).status_code for n in range(10)]
    return [("5", "unknown lane and wrong code answer alike", f"{other.status_code} / {wrong.status_code}", uniform),
            ("5", "guessing codes on a lane is throttled", f"{codes.count(404)} x 404 then {codes.count(429)} x 429",
             429 in codes)]


def f6_parallel(t: Target) -> list[Row]:
    clients = [t.client(f"127.0.0.{150 + n}") for n in range(30)]
    with ThreadPoolExecutor(30) as pool:
        codes = list(pool.map(lambda c: bad_login(c, "probe-victim"), clients))
    checked = codes.count(401)
    return [("6", "30 parallel wrong passwords: at most 5 checked", f"{checked} x 401, {codes.count(429)} x 429",
             checked <= 5)]


def f7_integers(t: Target, staff: httpx.Client | None) -> list[Row]:
    rows: list[Row] = []
    if t.lab_token:
        reply = t.client().get(f"/api/lab/{HUGE}", headers={"Authorization": f"Bearer {t.lab_token}"})
        rows.append(("7", "/api/lab/<huge>", str(reply.status_code), reply.status_code < 500))
    if staff is None:
        return rows + [("7", "staff URLs with huge or odd ids", "no --user/--password", None)]
    for path in (f"/review?before={HUGE}", "/review?before=%C2%B2", f"/review/next?after={HUGE}",
                 f"/review/{HUGE}", f"/frames/{HUGE}"):
        code = staff.get(path, follow_redirects=False).status_code
        rows.append(("7", path, str(code), code < 500))
    return rows


def f8_lockout(t: Target) -> list[Row]:
    client = t.client("127.0.0.70")
    for _ in range(5):
        bad_login(client, "probe-owner")
    form = client.get("/login").text
    token = form.split('name="csrf" value="')[1].split('"')[0]
    reply = client.post("/login", data={"csrf": token, "username": "probe-owner", "password": "x"})
    wait = int(reply.headers.get("retry-after", "0"))
    return [("8", "5 bad passwords slow an account, not lock it", f"{reply.status_code}, Retry-After {wait} s",
             reply.status_code == 429 and wait <= 30)]


def f9_audit_cli(_: Target) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        missing = Path(tmp) / "none" / "gate.db"
        done = subprocess.run([sys.executable, "-m", "intake", "audit", "verify", "--db", f"sqlite:///{missing}",
                               "--key", "env:PATH"], capture_output=True, text=True, timeout=60)
        created = missing.exists() or missing.parent.exists()
    return [("9", "audit verify on a missing file", f"exit {done.returncode}, created: {created}",
             done.returncode == 2 and not created and "Traceback" not in done.stderr)]


def f10_csv(staff: httpx.Client | None) -> list[Row]:
    if staff is None:
        return [("10", "CSV cells", "no --user/--password", None)]
    reply = staff.get("/export/visits.csv")
    if reply.status_code != 200:
        return [("10", "CSV cells", f"export answered {reply.status_code}", None)]
    import csv
    import io

    pieces = [p.lstrip(" ") for row in csv.reader(io.StringIO(reply.text)) for cell in row
              for p in cell.replace(",", ";").split(";")]
    risky = [p for p in pieces if p[:1] in ("=", "+", "-", "@", "\t", "\r")]
    return [("10", "no CSV cell piece starts like a formula", f"{len(pieces)} pieces, {len(risky)} risky", not risky)]


def f11_self_disable(t: Target) -> list[Row]:
    admin = login(t, t.admin_user, t.admin_password)
    if admin is None or not t.admin_user:
        return [("11", "self-disable by a case variant", "no --admin-user/--admin-password", None)]
    page = admin.get("/admin/users").text
    token = page.split('name="csrf" value="')[1].split('"')[0]
    code = admin.post(f"/admin/users/{t.admin_user.upper()}/disable", data={"csrf": token}).status_code
    return [("11", "self-disable by a case variant", str(code), code == 400)]


def f12_files(t: Target, staff: httpx.Client | None) -> list[Row]:
    rows: list[Row] = []
    if t.db is not None:
        for path in (t.db, Path(f"{t.db}-wal")):
            if path.exists():
                mode = stat.S_IMODE(path.stat().st_mode)
                rows.append(("12", f"{path.name} mode", oct(mode), mode & 0o077 == 0))
    if t.data_dir is not None:
        folder = stat.S_IMODE(t.data_dir.stat().st_mode)
        rows.append(("12", "data folder mode", oct(folder), folder & 0o077 == 0))
    if staff is not None:
        reply = staff.get("/frames/1")
        if reply.status_code == 200:
            rows.append(("12", "frame Cache-Control", reply.headers.get("cache-control", ""),
                         reply.headers.get("cache-control") == "no-store"))
    return rows or [("12", "files and frames", "no --db/--data-dir and no login", None)]


def loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--lane", default="1")
    for name in ("user", "password", "token", "lab-token", "admin-user", "admin-password"):
        parser.add_argument(f"--{name}")
    parser.add_argument("--db", type=Path, help="the database file, to check its mode")
    parser.add_argument("--data-dir", type=Path, help="the site's data_dir, to check its mode")
    a = parser.parse_args()
    if not loopback(a.url):
        parser.error("loopback targets only (127.0.0.0/8, ::1, localhost)")
    t = Target(a.url.rstrip("/"), a.user, a.password, a.token, a.lab_token, a.admin_user, a.admin_password, a.db,
               a.data_dir)
    staff = login(t, t.user, t.password)   # before the attacks, which slow logins from their addresses
    checks: list[Callable[[], list[Row]]] = [
        lambda: f1_integrity(t), lambda: f2_streams(t, a.lane), lambda: f3_forwarded(t), lambda: f4_bodies(t),
        lambda: f5_codes(t, a.lane), lambda: f6_parallel(t), lambda: f7_integers(t, staff), lambda: f8_lockout(t),
        lambda: f9_audit_cli(t), lambda: f10_csv(staff), lambda: f11_self_disable(t), lambda: f12_files(t, staff)]
    rows: list[Row] = []
    for check in checks:
        try:
            rows += check()
        except (httpx.HTTPError, OSError, IndexError, ValueError) as exc:
            rows.append(("?", getattr(check, "__name__", "check"), f"error: {type(exc).__name__}: {exc}", False))
    width = max(len(r[1]) for r in rows)
    print(f"{'#':<3} {'check':<{width}}  {'result':<6} seen")
    for finding, what, seen, ok in rows:
        result = "skip" if ok is None else "ok" if ok else "FAIL"
        print(f"{finding:<3} {what:<{width}}  {result:<6} {seen}")
    return 1 if any(r[3] is False for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
