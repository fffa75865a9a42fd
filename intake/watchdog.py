"""The watchdog: every long-running loop of the gate reports a heartbeat, and a loop that stays
silent past its period is hung. A hung or crashed loop is cancelled and started again, at most
`max_restarts` times in `window_s`; after that it stays down (its lane out of service) until a
person restarts the gate. While a loop is down its `on_down` hook keeps the lane closed and
says why; `on_up` runs once the new loop has beaten again.

A loop registered with `essential=False` (the alarm watcher and its delivery worker) is watched
and restarted the same way, and shown in `report()`, but its being down neither degrades the
gate's health nor stops the systemd pets: alarms observe the gate, and a whole-service restart
for a stuck alarm loop would stop lanes that work.

systemd: WATCHDOG=1 goes to $NOTIFY_SOCKET only while every essential loop is healthy. A loop that gave
up, or an event loop so stuck that this supervisor cannot run either, stops the pets and
systemd restarts the whole service (WatchdogSec in deploy/intake-gate.service).
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Coroutine, Protocol

log = logging.getLogger(__name__)

LoopFactory = Callable[[], Coroutine[Any, Any, None]]
DownHook = Callable[[str, bool], Awaitable[None] | None]   # (why, final: it stays down)
CANCEL_WAIT_S = 2.0   # a cancelled loop gets this long to unwind before it is abandoned


@dataclass
class Heartbeat:
    """Handed to a loop: `beat()` every iteration; `busy(s)` before a wait bounded by its own
    timeout (e.g. one truck's inspection), so a long but legitimate wait is not a hang."""
    period_s: float
    at: float = field(default_factory=time.monotonic)
    until: float = 0.0

    def beat(self) -> None:
        self.at, self.until = time.monotonic(), 0.0

    def busy(self, seconds: float) -> None:
        self.at = time.monotonic()
        self.until = self.at + seconds

    def overdue(self, now: float) -> bool:
        return now > max(self.at + self.period_s, self.until)


@dataclass
class Watched:
    name: str
    lane: str | None
    factory: LoopFactory
    heartbeat: Heartbeat
    on_down: DownHook | None = None
    on_up: Callable[[], None] | None = None
    task: asyncio.Task[None] | None = None
    restarts: deque[float] = field(default_factory=deque)   # monotonic times, inside the window
    total_restarts: int = 0
    restarted_at: float = 0.0
    down: str | None = None         # why the loop is not running normally now
    gave_up: bool = False           # rate limit hit: stays down
    essential: bool = True          # down: the gate is degraded and systemd is not petted


class SystemdNotifier:
    """sd_notify without a dependency: one datagram to $NOTIFY_SOCKET per message."""

    def __init__(self, address: str | None = None) -> None:
        address = address if address is not None else os.environ.get("NOTIFY_SOCKET")
        # An abstract socket is announced with a leading "@".
        self.address = None if not address else ("\0" + address[1:] if address[0] == "@" else address)
        usec = os.environ.get("WATCHDOG_USEC", "")
        # systemd's advice: pet at half the watchdog period.
        self.pet_every_s = int(usec) / 2e6 if usec.isdigit() and int(usec) > 0 else 5.0
        self._last_pet = 0.0
        self.ready_sent = False

    def send(self, message: str) -> bool:
        if self.address is None:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.setblocking(False)   # a full queue on systemd's side must never block the gate
                sock.sendto(message.encode(), self.address)
            return True
        except OSError as exc:  # systemd gone or socket unreachable: never stop the gate for it
            log.debug("sd_notify failed: %s", exc)
            return False

    def healthy(self, status: str) -> None:
        if not self.ready_sent:
            self.ready_sent = self.send(f"READY=1\nSTATUS={status}")
        now = time.monotonic()
        if now - self._last_pet >= self.pet_every_s:
            self._last_pet = now
            self.send("WATCHDOG=1")

    def unhealthy(self, status: str) -> None:
        self.send(f"STATUS={status}")   # no WATCHDOG=1: systemd restarts us after WatchdogSec


class Watchdog:
    def __init__(self, *, max_restarts: int = 3, window_s: float = 600.0, check_s: float = 0.5,
                 notifier: SystemdNotifier | None = None) -> None:
        if max_restarts < 0 or window_s <= 0 or check_s <= 0:
            raise ValueError("max_restarts >= 0, window_s > 0 and check_s > 0")
        self.max_restarts, self.window_s, self.check_s = max_restarts, window_s, check_s
        self.notifier = notifier if notifier is not None else SystemdNotifier()
        self.loops: dict[str, Watched] = {}
        self._running = False
        self._last_status = ""

    def watch(self, name: str, factory: LoopFactory, *, period_s: float, lane: str | None = None,
              on_down: DownHook | None = None, on_up: Callable[[], None] | None = None,
              essential: bool = True) -> Heartbeat:
        """Register a loop (started by `run`); returns the heartbeat the loop must beat."""
        if name in self.loops:
            raise ValueError(f"loop {name!r} is already watched")
        beat = Heartbeat(period_s)
        self.loops[name] = Watched(name, lane, factory, beat, on_down, on_up, essential=essential)
        if self._running:
            self._start(self.loops[name])
        return beat

    def healthy(self) -> bool:
        return all(w.down is None for w in self.loops.values() if w.essential)

    def restarts(self) -> dict[str, int]:
        return {name: w.total_restarts for name, w in self.loops.items()}

    def report(self) -> dict[str, dict[str, object]]:
        """Per loop, for /health: state, heartbeat age (wall s), restarts, why it is down."""
        now = time.monotonic()
        return {name: {"state": "failed" if w.gave_up else "down" if w.down else "ok",
                       "heartbeat_age_s": round(now - w.heartbeat.at, 2), "restarts": w.total_restarts,
                       **({"reason": w.down} if w.down else {}), **({} if w.essential else {"essential": False})}
                for name, w in self.loops.items()}

    async def run(self, stop: asyncio.Event) -> None:
        """Start every loop, supervise until `stop`, then let them end (or cancel them)."""
        self._running = True
        for w in self.loops.values():
            self._start(w)
        try:
            while not stop.is_set():
                try:
                    await asyncio.wait_for(stop.wait(), self.check_s)
                except TimeoutError:
                    pass
                if not stop.is_set():
                    await self.check()
        finally:
            self._running = False
            await self._wind_down()

    async def check(self) -> None:
        now = time.monotonic()
        for w in list(self.loops.values()):
            if w.gave_up or w.task is None:
                continue
            if w.task.done():
                reason = _ended(w.task)
            elif w.heartbeat.overdue(now):
                reason = f"hung: no heartbeat for {now - w.heartbeat.at:.1f} s"
            else:
                if w.down is not None and w.heartbeat.at > w.restarted_at:
                    log.warning("loop %s is running again", w.name)
                    w.down = None
                    if w.on_up is not None:
                        w.on_up()
                continue
            await self._restart(w, reason, now)
        self._notify()

    async def _restart(self, w: Watched, reason: str, now: float) -> None:
        log.error("loop %s %s: restarting it", w.name, reason)
        w.down = reason
        await _call(w.on_down, reason, False)
        await _cancel(w.task)
        while w.restarts and now - w.restarts[0] > self.window_s:
            w.restarts.popleft()
        if len(w.restarts) >= self.max_restarts:
            w.gave_up, w.task = True, None
            w.down = f"{reason}; gave up after {self.max_restarts} restarts in {self.window_s:g} s"
            log.critical("loop %s stays down: %s", w.name, w.down)
            await _call(w.on_down, w.down, True)
            return
        w.restarts.append(now)
        w.total_restarts += 1
        w.restarted_at = time.monotonic()
        w.heartbeat.beat()   # a fresh period for the new loop to show it runs
        self._start(w)

    def _start(self, w: Watched) -> None:
        w.task = asyncio.create_task(w.factory(), name=f"loop {w.name}")

    def _notify(self) -> None:
        down = [f"{w.name}: {w.down}" for w in self.loops.values() if w.down and w.essential]
        status = "; ".join(down) if down else "all loops healthy"
        changed = status != self._last_status
        if changed:
            self._last_status = status
            (log.info if not down else log.warning)("watchdog: %s", status)
        if not down:
            self.notifier.healthy(status)
        elif changed:
            self.notifier.unhealthy(status)

    async def _wind_down(self) -> None:
        tasks = [w.task for w in self.loops.values() if w.task is not None]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=CANCEL_WAIT_S * 2)
            for task in pending:
                await _cancel(task)
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                log.error("loop %s ended with %r", task.get_name(), task.exception())


class WatchedThread(Protocol):
    """A device reader thread (hardware.threads.DeviceThread)."""
    thread_name: str
    beat_at: float

    @property
    def alive(self) -> bool: ...
    @property
    def stopping(self) -> bool: ...
    def restart(self) -> None: ...
    def stop(self, timeout: float = 2.0) -> bool: ...


async def thread_loop(device: WatchedThread, beat: Heartbeat, stop: asyncio.Event, check_s: float = 0.25) -> None:
    """The watchdog's view of a device thread: (re)starts it, and beats while the thread beats.
    A dead thread is a crash; a silent one makes this beat go overdue, so it is a hang. Either
    way the watchdog cancels this coroutine, which asks the thread to stop; a thread that will
    not stop is never started twice, so the next attempt fails and the rate limit ends it."""
    if device.stopping or not device.alive:
        if device.alive:
            raise RuntimeError(f"{device.thread_name}: the hung thread did not stop")
        device.restart()
    try:
        while not stop.is_set():
            if not device.alive:
                raise RuntimeError(f"{device.thread_name}: thread ended")
            beat.at = max(beat.at, device.beat_at)
            beat.until = 0.0
            try:
                await asyncio.wait_for(stop.wait(), check_s)
            except TimeoutError:
                pass
    except asyncio.CancelledError:
        await asyncio.to_thread(device.stop, CANCEL_WAIT_S / 2)
        raise


def _ended(task: asyncio.Task[None]) -> str:
    if task.cancelled():
        return "crashed: cancelled"
    exc = task.exception()
    return f"crashed: {type(exc).__name__}: {exc}" if exc is not None else "ended unexpectedly"


async def _call(hook: DownHook | None, reason: str, final: bool) -> None:
    if hook is None:
        return
    try:
        result = hook(reason, final)
        if asyncio.iscoroutine(result):
            await result
    except Exception:  # a failing hook must not stop the supervisor
        log.exception("watchdog hook failed")


async def _cancel(task: asyncio.Task[None] | None) -> None:
    if task is None or task.done():
        return
    task.cancel()
    _, pending = await asyncio.wait({task}, timeout=CANCEL_WAIT_S)
    if pending:   # it swallowed the cancellation: abandon it, the lane stays guarded by on_down
        log.error("loop task %s did not stop when cancelled", task.get_name())
