"""The observer: what changed in the gate since the last look, as alarm events.

`changes` is pure (two snapshots in, events out); `AlarmWatcher` is the thin shell that takes a
snapshot of the lanes (the StatusHub every lane already publishes to), the chain's integrity
state, the gate's own faults and the store's free disk space, reads new decisions, and writes
what it finds to the outbox. It only reads the gate: no lane, verdict or barrier depends on it,
and any error in it is logged and the next look goes on."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from intake.alarms.config import AlarmsConfig
from intake.alarms.messages import AlarmEvent
from intake.alarms.outbox import Raised, raise_alarm
from intake.alarms.sources import new_decisions, resume_cursor, waiting_reviews
from intake.lane.status import LaneStatus, LaneStep, StatusHub
from intake.watchdog import Heartbeat

log = logging.getLogger(__name__)
GB = 1_000_000_000
RESUME_LOOKBACK = timedelta(minutes=10)   # decisions looked at again at start (a crash's last ones) ...
RESUME_MAX_AGE = timedelta(days=1)        # ... unless older than this: stale news
DIRECT_KEYS = 1000   # keys remembered of alarms sent past the outbox (bounded)


@dataclass(frozen=True)
class LaneView:
    closed: bool
    fault: str | None = None
    plate: str | None = None
    visit: str | None = None

    @classmethod
    def of(cls, status: LaneStatus) -> "LaneView":
        return cls(status.step == LaneStep.OUT_OF_SERVICE, status.fault, status.plate, status.visit)

    def faults(self) -> set[str]:
        return {f for f in (self.fault or "").split(", ") if f}


@dataclass(frozen=True)
class Snapshot:
    at: datetime
    lanes: Mapping[str, LaneView] = field(default_factory=dict)
    gate_faults: frozenset[str] = frozenset()   # gate-wide, e.g. the model unavailable
    chain_problem: str | None = None            # the chain's first problem while it fails
    free_gb: float | None = None                # free space on the store's folder


def changes(prev: Snapshot | None, cur: Snapshot, disk_thresholds: Sequence[float] = ()) -> list[AlarmEvent]:
    """The events between two looks. The first look (prev None) reports what is wrong already."""
    out: list[AlarmEvent] = []
    for lane, view in sorted(cur.lanes.items()):
        out += _lane_changes(lane, prev.lanes.get(lane) if prev else None, view, cur.at)
    old = prev.gate_faults if prev else frozenset()
    out += [AlarmEvent(event="device_fault", at=cur.at, key=f"fault:gate:{f}:{cur.at.isoformat()}", detail=f)
            for f in sorted(cur.gate_faults - old)]
    if cur.chain_problem and (prev is None or prev.chain_problem != cur.chain_problem):
        out.append(AlarmEvent(event="chain_failure", at=cur.at, key=f"chain:{cur.chain_problem}"[:200],
                              detail=cur.chain_problem))
    out += _disk_changes(prev.free_gb if prev else None, cur, disk_thresholds)
    return out


def _lane_changes(lane: str, before: LaneView | None, now: LaneView, at: datetime) -> list[AlarmEvent]:
    out: list[AlarmEvent] = []
    stamp = at.isoformat()
    if now.closed and (before is None or not before.closed):
        out.append(AlarmEvent(event="lane_closed", at=at, key=f"closed:{lane}:{stamp}", lane=lane,
                              plate=now.plate, visit=now.visit, detail=now.fault or "",
                              faults=sorted(now.faults())))
    new = now.faults() - (before.faults() if before else set())
    out += [AlarmEvent(event="device_fault", at=at, key=f"fault:{lane}:{f}:{stamp}"[:200], lane=lane,
                       plate=now.plate, visit=now.visit, detail=f, faults=[f]) for f in sorted(new)]
    return out


def _disk_changes(before: float | None, cur: Snapshot, thresholds: Sequence[float]) -> list[AlarmEvent]:
    """One event per threshold the free space fell under since the last look."""
    if cur.free_gb is None:
        return []
    return [AlarmEvent(event="disk_low", at=cur.at, key=f"disk:{limit:g}:{cur.at.isoformat()}", threshold=limit,
                       detail=f"剩余 {cur.free_gb:.1f} GB，低于 {limit:g} GB / {cur.free_gb:.1f} GB free, under {limit:g} GB")
            for limit in sorted(set(thresholds))
            if cur.free_gb < limit and (before is None or before >= limit)]


def store_folder(database: str, data_dir: Path) -> Path:
    """The folder the store writes to: the SQLite file's, else the data folder."""
    url = make_url(database)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent
    return data_dir


def free_gb(folder: Path) -> float | None:
    try:
        return shutil.disk_usage(folder).free / GB
    except OSError:
        return None


class AlarmWatcher:
    def __init__(self, engine: Engine, cfg: AlarmsConfig, hub: StatusHub, *, now: Callable[[], datetime],
                 folder: Path, chain_problem: Callable[[], str | None] = lambda: None,
                 gate_faults: Callable[[], frozenset[str]] = frozenset,
                 direct: Callable[[AlarmEvent], None] | None = None) -> None:
        self.engine, self.cfg, self.hub, self.now, self.folder = engine, cfg, hub, now, folder
        self.chain_problem, self.gate_faults, self.direct = chain_problem, gate_faults, direct
        self._sent_direct: dict[str, None] = {}   # keys sent past the outbox, oldest first
        self._waiting: dict[float, set[str]] = {}   # after_min -> REVIEWs found waiting at the last look
        self.prev: Snapshot | None = None
        self.cursor: int | None = None   # the newest decision already looked at

    def snapshot(self) -> Snapshot:
        """On the event loop (the hub lives there); the disk figure is taken in look()."""
        lanes = {lane: LaneView.of(s) for lane in self.hub.lanes() if (s := self.hub.latest(lane)) is not None}
        return Snapshot(self.now(), lanes, self.gate_faults(), self.chain_problem())

    def look(self, snap: Snapshot) -> list[Raised]:
        """Blocking (the database): everything new since the last look, into the outbox. What
        the lanes, the chain and the disk say goes first: a store that fails to read or write
        (the disk full) must not swallow the alarm that says so."""
        wanted: set[str] = {r.event for r in self.cfg.rules}
        disk = [r.below_gb for r in self.cfg.rules if r.below_gb is not None]
        if disk:
            snap = Snapshot(snap.at, snap.lanes, snap.gate_faults, snap.chain_problem, free_gb(self.folder))
        events = [e for e in changes(self.prev, snap, disk) if e.event in wanted]
        self.prev = snap
        raised = self._raise(events, snap.at)
        for source in (self._decisions, self._reviews):
            try:
                found = source(snap.at, wanted)
            except SQLAlchemyError:
                log.exception("alarm watcher: the records cannot be read now")
                continue
            raised += self._raise(found, snap.at)
        return raised

    def _decisions(self, now: datetime, wanted: set[str]) -> list[AlarmEvent]:
        """REJECTs and device-forced decisions since the last look (the cursor moves only once
        they are read)."""
        if not wanted & {"reject", "device_fault"}:
            return []
        if self.cursor is None:
            self.cursor = resume_cursor(self.engine, RESUME_LOOKBACK, now - RESUME_MAX_AGE)
        events, self.cursor = new_decisions(self.engine, self.cursor)
        return [e for e in events if e.event in wanted]

    def _reviews(self, now: datetime, wanted: set[str]) -> list[AlarmEvent]:
        events: list[AlarmEvent] = []
        for after in sorted({r.after_min for r in self.cfg.rules if r.after_min is not None}):
            waiting = waiting_reviews(self.engine, now, after)
            # Only the ones not already waiting at the last look (the outbox knows the rest).
            events += [e for e in waiting if e.key not in self._waiting.get(after, set())]
            self._waiting[after] = {e.key for e in waiting}
        return events

    def _raise(self, events: list[AlarmEvent], now: datetime) -> list[Raised]:
        raised: list[Raised] = []
        for ev in events:
            try:
                raised += raise_alarm(self.engine, self.cfg, ev, now)
            except SQLAlchemyError:
                log.exception("alarm outbox refused %s; sending it once, directly", ev.key)
                self._direct_once(ev)
        return raised

    def _direct_once(self, ev: AlarmEvent) -> None:
        """The outbox cannot take it: one direct try on its channels, once per key."""
        if self.direct is None or ev.key in self._sent_direct:
            return
        self._sent_direct[ev.key] = None
        while len(self._sent_direct) > DIRECT_KEYS:
            del self._sent_direct[next(iter(self._sent_direct))]
        self.direct(ev)

    async def run(self, stop: asyncio.Event, beat: Heartbeat | None = None) -> None:
        """Until `stop`: a look every `poll_s` wall seconds, and one last look after it (what
        the last seconds decided is in the outbox for the next start). Errors are logged, never
        raised. `beat`: the watchdog's heartbeat, beaten before and after each look, so a look
        that never comes back (a store that hangs) is seen and the loop restarted."""
        while True:
            if beat is not None:
                beat.beat()
            try:
                await asyncio.to_thread(self.look, self.snapshot())
            except Exception:
                log.exception("alarm watcher: this look failed; the next one goes on")
            if beat is not None:
                beat.beat()
            if stop.is_set():
                return
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.cfg.poll_s)
