"""The alarms inside `intake run`: the watcher and the delivery worker, two tasks on the gate's
event loop beside the lanes. Neither is awaited by a lane; both only log their own failures."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from intake.alarms.channels import deliver
from intake.alarms.messages import AlarmEvent
from intake.alarms.watch import AlarmWatcher, store_folder
from intake.alarms.worker import DeliveryWorker
from intake.config import GateConfig

log = logging.getLogger(__name__)
DELIVERY_POLL_S = 2.0   # wall seconds between looks for due deliveries


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def zone(cfg: GateConfig) -> str:
    return cfg.alarms.timezone or cfg.tickets.timezone


def worker_for(cfg: GateConfig, engine: Any, now: Callable[[], datetime] = utc_now) -> DeliveryWorker:
    return DeliveryWorker(engine, cfg.alarms, cfg.site.name, zone(cfg), now)


def _gate_faults(gate: Any) -> Callable[[], frozenset[str]]:
    def faults() -> frozenset[str]:
        follower = gate.follower
        problem = follower.problem if follower is not None else gate.model.problem
        return frozenset({f"model_unavailable: {problem}"} if problem else ())
    return faults


def direct_sender(cfg: GateConfig, now: Callable[[], datetime] = utc_now) -> Callable[[AlarmEvent], None]:
    """For an alarm the outbox could not take (the store failing): one try on each channel of
    each rule that takes it, logged, never retried."""
    def send(ev: AlarmEvent) -> None:
        names = {name for _, rule in cfg.alarms.rules_for(ev.event, ev.lane, ev.threshold) for name in rule.channels}
        for name in sorted(names):
            try:
                result = deliver(cfg.alarms.channels[name], ev, cfg.site.name, zone(cfg), 0, now())
                log.warning("alarm %s sent to %s past the outbox: %s", ev.key, name, result)
            except Exception as exc:   # nothing more can be done for it
                log.error("alarm %s lost on %s (outbox and channel both failed): %s", ev.key, name, exc)
    return send


def watcher_for(gate: Any, now: Callable[[], datetime] = utc_now) -> AlarmWatcher:
    from intake.store.integrity import state_for

    cfg: GateConfig = gate.cfg
    integrity = state_for(gate.records.engine)
    return AlarmWatcher(gate.records.engine, cfg.alarms, gate.hub, now=now,
                        folder=store_folder(cfg.site.database, cfg.site.data_dir),
                        chain_problem=lambda: None if integrity.ok else integrity.problem,
                        gate_faults=_gate_faults(gate), direct=direct_sender(cfg, now))


def alarms_health(cfg: GateConfig, engine: Any) -> dict[str, object]:
    """/health's view of the outbox: deliveries pending and given up. Never the gate's status:
    alarms observe, a channel that is down closes no lane, and a fault here is reported, not
    raised (a /health that raised would hide the gate's own status)."""
    from intake.alarms.outbox import counts
    from intake.store.db import read_only

    try:
        if not cfg.alarms.rules:
            return {}
        found = counts(read_only(engine))
    except Exception as exc:
        log.warning("alarm outbox not readable for /health: %s", exc)
        return {"alarms": f"outbox unreadable: {type(exc).__name__}"}
    return {"alarms": {"pending": found["pending"], "failed": found["failed"]}}


async def run_alarms(gate: Any, stop: asyncio.Event) -> None:
    """Watch the gate and deliver its alarms until `stop` (nothing to do without rules)."""
    cfg: GateConfig = gate.cfg
    if not cfg.alarms.rules:
        return
    try:
        await asyncio.gather(watcher_for(gate).run(stop),
                             worker_for(cfg, gate.records.engine).run(stop, DELIVERY_POLL_S))
    except Exception:   # an alarm failure never stops the gate
        log.exception("alarms stopped; the gate goes on without them")
