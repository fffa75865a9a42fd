"""`intake lane reset|log`: put a lane back in service after a latched fault, and its safety log.

A lane fault (an arm not following its order, both limit switches made, a frozen I/O module)
keeps the lane closed after its condition has gone. A technician who has looked at the lane
resets it here, by name; like `intake users add`, this needs a shell on the gate, not a
browser session. The command records the request and waits for the running gate's answer:
exit 0 when the lane is back in service, 1 when the gate refused (a fault still active) or
did not answer, 2 for bad input.
"""
from __future__ import annotations

import getpass
import time
from pathlib import Path
from typing import Optional

import typer

from intake.cli.db import CONFIG, DB, KEY, audit_key, resolve
from intake.cli.output import FAILED, JSON, USAGE, emit, fail, line

app = typer.Typer(no_args_is_help=True, add_completion=False)
ANSWER_POLL_S = 0.2   # wall seconds between looks for the gate's answer


def _engine(db: Optional[str], config: Optional[Path], key: Optional[str]):
    """The gate's database with its audit key: the safety log is chained."""
    from intake.store.db import StoreError, open_engine

    url, cfg = resolve(db, config)
    try:
        return open_engine(url, audit_key(key, cfg), migrate=False)
    except StoreError as exc:
        fail(str(exc), USAGE)


def _login() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):   # no passwd entry (a container): the name given must do
        return None


@app.command("reset")
def reset(lane: str, by: str = typer.Option(..., "--by", help="Your name: recorded with the reset."),
          wait: float = typer.Option(10.0, help="Seconds to wait for the gate's answer."),
          db: Optional[str] = DB, config: Optional[Path] = CONFIG, key: Optional[str] = KEY) -> None:
    """Reset a lane's latched faults once their cause is fixed; refused while one is still active."""
    from intake.store.lane_events import answer_to, request_reset

    engine = _engine(db, config, key)
    try:
        request = request_reset(engine, lane, by, _login())
    except ValueError as exc:
        fail(str(exc), USAGE)
    deadline = time.monotonic() + wait
    while (answer := answer_to(engine, request)) is None:
        if time.monotonic() > deadline:
            fail(f"lane {lane}: no answer from the gate within {wait:g} s (is it running? is the lane "
                 f"called {lane!r}?); the request lapses", FAILED)
        time.sleep(ANSWER_POLL_S)
    if answer.kind == "reset_refused":
        fail(f"lane {lane}: reset refused, still active: {', '.join(answer.faults)}", FAILED)
    cleared = ", ".join(answer.faults) or "nothing was latched"
    line(f"lane {lane}: back in service (cleared: {cleared}; reset by {by})")


@app.command("log")
def log(lane: Optional[str] = typer.Argument(None), limit: int = typer.Option(50, min=1),
        json_out: bool = JSON,
        db: Optional[str] = DB, config: Optional[Path] = CONFIG, key: Optional[str] = KEY) -> None:
    """The lanes' latched faults and resets, newest first."""
    from intake.store.lane_events import events

    for e in events(_engine(db, config, key), lane, limit):
        if json_out:
            emit({"id": e.id, "lane": e.lane, "kind": e.kind, "faults": e.faults, "by": e.by, "login": e.login,
                  "request": e.request_id, "at": e.at.isoformat()})
        else:
            line(f"{e.at:%Y-%m-%d %H:%M:%S}  lane {e.lane:<4} {e.kind:<14} {', '.join(e.faults):<40} {e.by or ''}")
