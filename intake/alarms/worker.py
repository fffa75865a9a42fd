"""The delivery worker: takes due deliveries from the outbox, sends each on its channel in a
worker thread, and logs the attempt. A channel that fails is retried with exponential backoff;
nothing it does can reach a lane (it shares only the database with the gate)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine

from intake.alarms import channels
from intake.alarms.channels import DeliveryError
from intake.alarms.config import AlarmsConfig, EmailChannel, WebhookChannel
from intake.alarms.messages import AlarmEvent, delivery_id
from intake.alarms.outbox import Due, due, record_attempt
from intake.store.crashpoint import crash_point
from intake.watchdog import Heartbeat

log = logging.getLogger(__name__)

# (channel, event, site, zone, held back, now, delivery id) -> what the channel answered
Send = Callable[[WebhookChannel | EmailChannel, AlarmEvent, str, str, int, datetime, str], str]


class DeliveryWorker:
    def __init__(self, engine: Engine, cfg: AlarmsConfig, site: str, tz: str,
                 now: Callable[[], datetime], send: Send = channels.deliver) -> None:
        self.engine, self.cfg, self.site, self.tz = engine, cfg, site, tz
        self.now, self.send = now, send

    def run_once(self) -> int:
        """Try every due delivery once (blocking); returns how many were tried. After a channel
        fails, its other deliveries wait for the next pass: a channel that hangs until its
        timeout costs one timeout a pass, not one per waiting alarm."""
        down: set[str] = set()
        tried = 0
        for item in due(self.engine, self.now()):
            if item.channel in down:
                continue
            tried += 1
            if not self.attempt(item):
                down.add(item.channel)
        return tried

    def attempt(self, item: Due) -> bool:
        """One try of one delivery, logged; True if the channel took it."""
        channel = self.cfg.channels.get(item.channel)
        if channel is None:
            ok, result = False, f"channel {item.channel!r} is not in the config"
        else:
            uid = delivery_id(self.site, item.rule, item.event.key, item.channel)
            try:
                ok, result = True, self.send(channel, item.event, self.site, self.tz, item.held_back, self.now(), uid)
                # Sent, not yet marked: a crash here sends it again, with the same id.
                crash_point("alarm_sent", delivery=item.delivery_id)
            except DeliveryError as exc:
                ok, result = False, str(exc)
            except Exception as exc:   # a bug in a channel must not stop the others
                log.exception("alarm channel %s failed", item.channel)
                ok, result = False, f"{type(exc).__name__}: {exc}"
        status = record_attempt(self.engine, item, ok, result, self.now(), self.cfg.backoff)
        if not ok:
            log.warning("alarm delivery %s to %s failed (%s): %s", item.delivery_id, item.channel, status, result)
        return ok

    def pass_bound_s(self) -> float:
        """The longest a healthy pass can take: each channel timing out once (a channel that
        fails waits for the next pass)."""
        return sum(ch.timeout_s for ch in self.cfg.channels.values())

    async def run(self, stop: asyncio.Event, interval_s: float, beat: Heartbeat | None = None) -> None:
        """Until `stop`: deliver what is due, then wait `interval_s` wall seconds. `beat`: the
        watchdog's heartbeat; a pass is busy for at most `pass_bound_s`, longer is a hang."""
        while not stop.is_set():
            if beat is not None:
                beat.busy(self.pass_bound_s())
            try:
                await asyncio.to_thread(self.run_once)
            except Exception:   # the store failing: the lanes find out; alarms wait for it
                log.exception("alarm delivery pass failed")
            if beat is not None:
                beat.beat()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval_s)
