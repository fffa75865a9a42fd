"""The alarms inside `intake run`: the watcher and the delivery worker, two loops on the gate's
event loop beside the lanes, under the gate's watchdog like the lanes' own loops. Neither is
awaited by a lane; both only log their own failures. A loop that hangs or crashes is restarted
(within the watchdog's rate limit) and reported: on /health's `loops`, in the log, and as a
`device_fault` alarm through the outbox (the other loop delivers it). They are not essential
loops: one down does not degrade the gate or stop the systemd pets (intake/watchdog.py)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from intake.alarms.channels import deliver
from intake.alarms.messages import AlarmEvent, delivery_id
from intake.alarms.outbox import raise_alarm
from intake.alarms.watch import AlarmWatcher, store_folder
from intake.alarms.worker import DeliveryWorker
from intake.config import GateConfig
from intake.watchdog import Heartbeat, Watchdog

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
        routes = sorted({(name, f"{index}.{rule.event}")   # the rule names raise_alarm gives the rows
                         for index, rule in cfg.alarms.rules_for(ev.event, ev.lane, ev.threshold)
                         for name in rule.channels})
        for name, rule_name in routes:
            uid = delivery_id(cfg.site.name, rule_name, ev.key, name)   # as the outbox's own try would
            try:
                result = deliver(cfg.alarms.channels[name], ev, cfg.site.name, zone(cfg), 0, now(), uid)
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


WATCHER, WORKER = "alarm watcher", "alarm delivery"


def supervise_alarms(dog: Watchdog, watcher: AlarmWatcher, worker: DeliveryWorker, stop: asyncio.Event,
                     hang_s: float, poll_s: float = DELIVERY_POLL_S) -> None:
    """Hand the watcher and the delivery worker to the watchdog, which starts them. Each is hung
    once it has not beaten for its own wait plus `hang_s` (the lanes' figure)."""
    beats: dict[str, Heartbeat] = {}   # filled below, before the watchdog starts either loop

    async def watch() -> None:
        await watcher.run(stop, beats[WATCHER])

    async def deliver_() -> None:
        await worker.run(stop, poll_s, beats[WORKER])

    for name, factory, period in ((WATCHER, watch, watcher.cfg.poll_s + hang_s), (WORKER, deliver_, poll_s + hang_s)):
        beats[name] = dog.watch(name, factory, period_s=period, essential=False, on_down=_report_down(watcher, name))


_reports: set[asyncio.Task[None]] = set()   # reports in flight (a task needs a reference)


def _report_down(watcher: AlarmWatcher, name: str) -> Callable[[str, bool], None]:
    """The watchdog's down hook: the loop's trouble as a device_fault alarm, in the outbox (the
    other loop delivers it), or sent directly when the outbox cannot take it. The report runs
    beside the watchdog, never in it: the store that hung the loop may hang the report too."""
    def down(reason: str, final: bool) -> None:
        now = watcher.now()
        zh, en = ("停止，不再重启", "stays down") if final else ("已被看门狗重启", "restarted by the watchdog")
        ev = AlarmEvent(event="device_fault", at=now, key=f"fault:gate:watchdog:{name}:{now.isoformat()}"[:200],
                        detail=f"告警程序{zh} / {name} {en}: {reason}")
        log.error("%s %s: %s", name, en, reason)
        task = asyncio.get_running_loop().create_task(_report(watcher, ev), name=f"report {name}")
        _reports.add(task)
        task.add_done_callback(_reports.discard)
    return down


async def _report(watcher: AlarmWatcher, ev: AlarmEvent) -> None:
    try:
        await asyncio.to_thread(raise_alarm, watcher.engine, watcher.cfg, ev, ev.at)
    except Exception:
        log.exception("alarm outbox refused the watchdog's report %s", ev.key)
        if watcher.direct is not None:
            await asyncio.to_thread(watcher.direct, ev)


async def run_alarms(gate: Any, stop: asyncio.Event) -> None:
    """Watch the gate and deliver its alarms until `stop` (nothing to do without rules): the two
    loops run under the gate's watchdog (started by `run_lanes`), this waits for `stop`."""
    cfg: GateConfig = gate.cfg
    if not cfg.alarms.rules:
        return
    try:
        supervise_alarms(gate.watchdog, watcher_for(gate), worker_for(cfg, gate.records.engine), stop,
                         gate.lane_hang_s)
    except Exception:   # an alarm failure never stops the gate
        log.exception("alarms not started; the gate goes on without them")
        return
    await stop.wait()
