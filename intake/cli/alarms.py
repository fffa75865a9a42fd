"""`intake alarms list|test|retry|deliver|prune`: the alarm outbox, for technicians on the gate PC.

`list` shows the newest alarms with each channel's delivery (status, attempts, last error);
`test` sends a test alarm to every configured channel (or `--channel`) now, through the outbox,
and exits 1 if any channel did not take it; `retry` makes waiting (and with `--failed`, given-up)
deliveries due now and runs one delivery pass; `deliver` runs the delivery worker alone while
the gate is stopped; `prune` removes settled alarms past an age."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from intake.cli.db import CONFIG, DB, resolve
from intake.cli.output import JSON, emit, fail, finish, note, show
from intake.config import GateConfig

app = typer.Typer(help="Alarms: list the outbox, send a test alarm, retry deliveries.", no_args_is_help=True)
STATUSES = ("pending", "sent", "failed")


def _open(db: Optional[str], config: Optional[Path]) -> tuple[Any, GateConfig]:
    from intake.store.db import StoreError, open_engine

    url, cfg = resolve(db, config)
    try:
        return open_engine(url, None, migrate=True), cfg
    except StoreError as exc:
        fail(str(exc), 1)


def _now() -> datetime:
    return datetime.now(timezone.utc)


@app.command("list")
def list_cmd(limit: int = typer.Option(50, min=1, max=10_000), status: Optional[str] = typer.Option(
                 None, help="Only alarms with a delivery in this state: pending, sent or failed."),
             db: Optional[str] = DB, config: Optional[Path] = CONFIG, json_out: bool = JSON) -> None:
    """The newest alarms, each with its deliveries."""
    from intake.alarms.outbox import recent

    if status is not None and status not in STATUSES:
        fail(f"--status: {status!r} is not one of {', '.join(STATUSES)}", 2)
    engine, _ = _open(db, config)
    listed = recent(engine, limit, status)
    if json_out:
        for item in listed:
            a = item.alarm
            emit({"id": a.id, "rule": a.rule, "event": a.event, "lane": a.lane, "key": a.key, "at": a.at,
                  "suppressed": a.suppressed, "held_back": a.held_back, "plate": a.body.get("plate"),
                  "deliveries": [{"id": d.id, "channel": d.channel, "status": d.status, "attempts": d.attempts,
                                  "next_at": d.next_at, "sent_at": d.sent_at, "last_error": d.last_error}
                                 for d in item.deliveries]})
        return
    table = Table("id", "at (UTC)", "event", "lane", "plate", "deliveries", title=f"alarms (newest {limit})")
    for item in listed:
        a = item.alarm
        sent = "suppressed (rate limit)" if a.suppressed else "; ".join(
            f"{d.channel}: {d.status} x{d.attempts}" + (f" ({d.last_error})" if d.last_error and d.status != "sent" else "")
            for d in item.deliveries)
        table.add_row(str(a.id), f"{a.at:%Y-%m-%d %H:%M:%S}", a.event, a.lane or "", escape(a.body.get("plate") or ""),
                      escape(sent))
    show(table)


@app.command("test")
def test_cmd(channel: Optional[list[str]] = typer.Option(None, "--channel", help="Only this channel (repeatable)."),
             db: Optional[str] = DB, config: Optional[Path] = CONFIG, json_out: bool = JSON) -> None:
    """Send a test alarm to each configured channel now; exit 1 if any did not take it."""
    from intake.alarms.service import worker_for
    from intake.alarms.probe import send_test

    engine, cfg = _open(db, config)
    names = list(channel or cfg.alarms.channels)
    if not cfg.alarms.channels:
        fail("no channels configured: add [alarms.channels.<name>] to the site config (--config)", 2)
    unknown = [n for n in names if n not in cfg.alarms.channels]
    if unknown:
        fail(f"--channel: unknown {', '.join(unknown)} (configured: {', '.join(cfg.alarms.channels)})", 2)
    note(f"sending a test alarm to {len(names)} channel(s): {', '.join(names)}")
    results = send_test(engine, worker_for(cfg, engine, _now), names, _now())
    ok = True
    table = Table("channel", "kind", "result", title="test alarm")
    for name, (status, detail) in results.items():
        ok = ok and status == "sent"
        if json_out:
            emit({"channel": name, "kind": cfg.alarms.channels[name].kind, "status": status, "result": detail})
        else:
            table.add_row(name, cfg.alarms.channels[name].kind, escape(f"{status}: {detail}"))
    if not json_out:
        show(table)
    finish(ok)


@app.command("retry")
def retry_cmd(failed: bool = typer.Option(False, "--failed", help="Also deliveries the worker gave up on."),
              db: Optional[str] = DB, config: Optional[Path] = CONFIG, json_out: bool = JSON) -> None:
    """Make waiting deliveries due now and try them once; exit 1 if any is still not sent."""
    from intake.alarms.outbox import backlog, make_due
    from intake.alarms.service import worker_for

    engine, cfg = _open(db, config)
    woken = make_due(engine, _now(), include_failed=failed)
    note(f"{woken} deliveries due now; trying them")
    tried = worker_for(cfg, engine, _now).run_once()
    left = backlog(engine)
    if json_out:
        emit({"due": woken, "tried": tried, "pending": left})
    else:
        show(f"tried {tried}, still pending {left}")
    finish(left == 0)


@app.command("deliver")
def deliver_cmd(once: bool = typer.Option(False, "--once", help="One pass over what is due, then exit."),
                interval: float = typer.Option(2.0, min=0.05, help="Wall seconds between passes."),
                db: Optional[str] = DB, config: Optional[Path] = CONFIG, json_out: bool = JSON) -> None:
    """Deliver the outbox while the gate is stopped, until SIGTERM or Ctrl-C (not beside `intake run`)."""
    import asyncio
    import signal

    from intake.alarms.outbox import backlog
    from intake.alarms.service import worker_for

    engine, cfg = _open(db, config)
    worker = worker_for(cfg, engine, _now)
    if once:
        tried = worker.run_once()
        if json_out:
            emit({"tried": tried, "pending": backlog(engine)})
        else:
            show(f"tried {tried}, pending {backlog(engine)}")
        return

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        note(f"delivering alarms every {interval:g} s; {backlog(engine)} pending (Ctrl-C stops)")
        await worker.run(stop, interval)

    asyncio.run(main())
    note(f"stopped; {backlog(engine)} pending")


@app.command("prune")
def prune_cmd(days: float = typer.Option(90.0, min=1, help="Keep alarms younger than this many days."),
              dry_run: bool = typer.Option(False, "--dry-run", help="Count what would go; remove nothing."),
              db: Optional[str] = DB, config: Optional[Path] = CONFIG, json_out: bool = JSON) -> None:
    """Remove settled alarms (all deliveries sent or given up) older than --days, with their attempts."""
    from datetime import timedelta

    from intake.alarms.outbox import prune

    engine, _ = _open(db, config)
    removed = prune(engine, _now() - timedelta(days=days), dry_run)
    if json_out:
        emit({**removed, "dry_run": dry_run})
    else:
        verb = "would remove" if dry_run else "removed"
        show(f"{verb} {removed['alarms']} alarms, {removed['deliveries']} deliveries, {removed['attempts']} attempts")
