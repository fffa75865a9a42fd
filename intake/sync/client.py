"""Store and forward: the gate's side of the sync.

Each round asks the centre for this site's high-water mark (the centre's word is the truth,
so a batch whose commit was acknowledged but whose answer was lost is never sent twice as
new), reads the next contiguous records from the local chain, signs the batch with the site
key and hands it to the centre in one transaction. Connection trouble is retried with
exponential backoff; a refusal (gap, tampering, unknown site) is not retried blindly: it is
reported and the mark stays where it is.

The centre's mark is also the site's checkpoint kept off the gate PC: every round first checks
that the local chain still holds the link the centre last received, unchanged. A database
restored from an old copy, swapped or rewritten (with its local checkpoint) is caught there,
and closes the lanes like any chain that fails verification.
"""
from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from intake.store.integrity import state_for
from intake.store.tables import ChainLink, SyncCursor, utcnow
from intake.sync.central import ensure_schema, high_water
from intake.sync.message import sign_batch
from intake.sync.outbox import local_head, read_batch
from intake.sync.receiver import Gap, Receipt, Refused, RolledBack, ingest

log = logging.getLogger(__name__)
DEFAULT_BATCH = 500


@dataclass(frozen=True)
class Progress:
    site: str
    high_seq: int          # the centre's mark after this step
    local_seq: int         # the local chain's head
    inserted: int          # records stored by this step
    duplicates: int        # records the centre already had
    retries: int           # connection failures retried so far in this run

    @property
    def pending(self) -> int:
        return max(0, self.local_seq - self.high_seq)


@dataclass(frozen=True)
class Backoff:
    first_s: float = 0.2
    max_s: float = 30.0
    max_retries: int | None = 8      # None: retry for ever (the gate's background task)

    def delay(self, attempt: int) -> float:
        base = min(self.max_s, self.first_s * (2 ** attempt))
        return base * random.uniform(0.5, 1.0)   # jitter: many gates must not return in lockstep


class SyncFailed(RuntimeError):
    pass


@dataclass
class LinkStatus:
    """What the gate's sync task last saw of the centre, for /health. Written by the sync task
    (in its worker thread too), read by the web handler: plain assignments of whole values."""
    state: str = "starting"          # starting | up | down | refused
    high_seq: int | None = None      # the centre's mark at the last contact
    local_seq: int | None = None     # the local chain's head when last looked at
    error: str | None = None
    since: float = field(default_factory=time.monotonic)

    def up(self, done: Progress) -> None:
        if self.state != "up":
            self.since = time.monotonic()
        self.state, self.high_seq, self.local_seq, self.error = "up", done.high_seq, done.local_seq, None

    def down(self, why: str, local: Engine | None = None, refused: bool = False) -> None:
        if self.state not in ("down", "refused"):
            self.since = time.monotonic()
        self.state, self.error = ("refused" if refused else "down"), why
        if local is not None:
            try:   # the outbox keeps growing while the link is down: show by how much
                self.local_seq = local_head(local)
            except Exception:  # noqa: BLE001 - a failing local store is the lane's to report
                pass

    @property
    def pending(self) -> int | None:
        if self.local_seq is None or self.high_seq is None:
            return None
        return max(0, self.local_seq - self.high_seq)

    def health(self) -> dict[str, object]:
        """A /health probe: the link's state; "degraded" while the centre cannot be reached or
        refuses (the gate keeps weighing; records wait in the outbox)."""
        report: dict[str, object] = {"central": {
            "link": self.state, "centre_seq": self.high_seq, "local_seq": self.local_seq, "pending": self.pending,
            "for_s": round(time.monotonic() - self.since, 1), "error": self.error}}
        if self.state in ("down", "refused"):
            report["status"] = "degraded"
        return report


def sync_step(local: Engine, central: Engine, site: str, key: bytes,
              batch_size: int = DEFAULT_BATCH) -> tuple[Receipt | None, int, int]:
    """Send at most one batch. Returns (receipt, or None when caught up; local head; centre's mark)."""
    with central.connect() as conn:
        high_seq, high_mac = high_water(conn, site)
    check_against_centre(local, site, high_seq, high_mac)
    head = local_head(local)
    outbox = read_batch(local, high_seq, batch_size)
    if not outbox.records:
        if outbox.gap_at is not None:
            raise Gap(f"site {site!r}: local chain has no record {outbox.gap_at} (deleted or damaged); "
                      f"the centre holds up to {high_seq}; run `intake audit verify`", outbox.gap_at)
        return None, head, high_seq
    receipt = ingest(central, sign_batch(key, site, outbox.records))
    return receipt, head, receipt.high_seq


def check_against_centre(local: Engine, site: str, high_seq: int, high_mac: str | None) -> None:
    """Raises RolledBack, and fails the gate's integrity state, unless the local chain holds
    the centre's last link with the same MAC."""
    if high_seq == 0:
        return
    with local.connect() as conn:
        mac = conn.execute(select(ChainLink.mac).where(ChainLink.seq == high_seq)).scalar()
    if mac == high_mac:
        return
    if mac is None:
        problem = (f"the centre holds site {site!r}'s chain up to link {high_seq}; the local database "
                   "ends before it (restored from an older copy or replaced)")
    else:
        problem = f"link {high_seq} differs from the one the centre received (the local chain was rewritten)"
    state_for(local).fail(f"rolled back behind the centre: {problem}")
    raise RolledBack(problem, high_seq)


def catch_up(local: Engine, central: Engine, site: str, key: bytes, *, batch_size: int = DEFAULT_BATCH,
             backoff: Backoff = Backoff(), on_progress: Callable[[Progress], None] | None = None,
             sleep: Callable[[float], None] = time.sleep,
             on_retry: Callable[[str], None] | None = None) -> Progress:
    """Send batches until the centre holds the whole local chain. Raises Refused or SyncFailed.
    `on_retry` hears each connection failure before its backoff (the link is down now)."""
    retries = attempt = 0
    schema_ready = False
    while True:
        try:
            if not schema_ready:
                ensure_schema(central)
                schema_ready = True
            receipt, head, high_seq = sync_step(local, central, site, key, batch_size)
        except (OperationalError, DBAPIError) as exc:
            if not _transient(exc):
                raise
            if backoff.max_retries is not None and attempt >= backoff.max_retries:
                raise SyncFailed(f"centre unreachable after {attempt} retries: {_short(exc)}") from exc
            delay = backoff.delay(attempt)
            attempt, retries = attempt + 1, retries + 1
            log.warning("sync: centre unreachable (%s); retry %d in %.1fs", _short(exc), attempt, delay)
            if on_retry:
                on_retry(_short(exc))
            sleep(delay)
            continue
        attempt = 0
        if receipt is None:
            return Progress(site, high_seq, head, 0, 0, retries)
        last = Progress(site, high_seq, head, receipt.inserted, receipt.duplicates, retries)
        _remember(local, central, high_seq)
        if on_progress:
            on_progress(last)


def _transient(exc: DBAPIError) -> bool:
    # Connection loss, server shutdown or restart, a failed connect: worth retrying. A SQL error
    # in our own statements is a bug and must surface.
    if isinstance(exc, OperationalError) or exc.connection_invalidated:
        return True
    name = type(exc.orig).__name__ if exc.orig is not None else ""
    return name in {"AdminShutdown", "CannotConnectNow", "ConnectionFailure", "CrashShutdown"}


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:200]


def target_name(central: Engine) -> str:
    return central.url.render_as_string(hide_password=True)[:200]


def _remember(local: Engine, central: Engine, acked: int) -> None:
    """Note the centre's acknowledgement locally (for monitoring: `intake sync status`); the next
    round still asks the centre, which is what counts."""
    if local.dialect.name != "sqlite":
        return
    target = target_name(central)
    with local.begin() as conn:
        conn.execute(sqlite_insert(SyncCursor.__table__).values(target=target, acked_seq=acked, updated_at=utcnow())
                     .on_conflict_do_nothing())
        conn.execute(update(SyncCursor.__table__).where(SyncCursor.__table__.c.target == target)
                     .values(acked_seq=acked, updated_at=utcnow()))


async def run_background(local: Engine, central_url: str, site: str, key: bytes, stop: asyncio.Event, *,
                         interval_s: float = 5.0, batch_size: int = DEFAULT_BATCH,
                         link: LinkStatus | None = None) -> None:
    """The gate's sync task for `intake run`: catch up, wait `interval_s` (or until `stop`), repeat.
    Runs the blocking work in a thread so the lane loop never waits on the network. Never raises
    out: the gate keeps weighing with the link down; problems are logged each round and kept in
    `link` (for /health)."""
    from intake.store.db import make_engine

    central = make_engine(central_url)
    forever = Backoff(max_retries=4)    # give up this round quickly; the next round retries
    link = link if link is not None else LinkStatus()
    try:
        while not stop.is_set():
            try:
                done = await asyncio.to_thread(catch_up, local, central, site, key, batch_size=batch_size,
                                               backoff=forever, on_retry=lambda why: link.down(why, local))
                link.up(done)
                log.info("sync: centre holds %d of %d", done.high_seq, done.local_seq)
            except Refused as exc:
                link.down(f"refused ({exc.kind}): {_short(exc)}", local, refused=True)
                log.error("sync refused (%s): %s", exc.kind, exc)
            except Exception as exc:  # noqa: BLE001 - the gate must outlive any sync failure
                link.down(_short(exc), local)
                log.warning("sync round failed: %s", _short(exc))
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval_s)
            except asyncio.TimeoutError:
                pass
    finally:
        central.dispose()
