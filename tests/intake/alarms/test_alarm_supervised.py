"""Fault test: the alarm watcher under the gate's watchdog. Its look is made to hang (a store
that never answers); the watchdog finds it silent, restarts it, and the restart is reported
through the outbox as a device_fault alarm that the (healthy) delivery worker posts. The watcher
looks again after the restart, and the gate's health is not degraded by it."""
from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from intake.alarms.service import WATCHER, WORKER, supervise_alarms
from intake.alarms.watch import AlarmWatcher
from intake.alarms.worker import DeliveryWorker
from intake.lane.status import StatusHub
from intake.watchdog import SystemdNotifier, Watchdog
from tests.intake.alarms.conftest import Capture, Clock, alarms_config

WAIT_S = 30.0   # upper bound for the watchdog to act; the test never asserts a duration


class HangingWatcher(AlarmWatcher):
    """The first look blocks until released; every look is counted."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.looks = 0
        self.release = threading.Event()

    def look(self, snap: Any) -> list[Any]:
        self.looks += 1
        if self.looks == 1:
            self.release.wait(WAIT_S)
        return super().look(snap)


def test_a_hung_watcher_is_restarted_and_reported(engine, capture: Capture, clock: Clock, tmp_path) -> None:
    cfg = alarms_config(capture, poll_s=0.05, rules=[{"event": "device_fault", "channels": ["json"], "every_min": 0}])
    watcher = HangingWatcher(engine, cfg, StatusHub(), now=clock, folder=tmp_path)
    worker = DeliveryWorker(engine, cfg, "Plant 1", "Asia/Shanghai", clock)
    dog = Watchdog(check_s=0.05, notifier=SystemdNotifier(address=""))

    def reported() -> bool:
        return any("alarm watcher" in p.body["detail"] for p in capture.posts if p.path == "/json")

    async def main() -> dict[str, Any]:
        stop = asyncio.Event()
        supervise_alarms(dog, watcher, worker, stop, hang_s=0.5, poll_s=0.05)
        run = asyncio.create_task(dog.run(stop))
        deadline = time.monotonic() + WAIT_S
        while not (reported() and watcher.looks >= 2):
            assert time.monotonic() < deadline, f"no restart and report within {WAIT_S} s: {dog.report()}"
            await asyncio.sleep(0.05)
        healthy = dog.healthy()
        report = dog.report()
        watcher.release.set()
        stop.set()
        await asyncio.wait_for(run, 10)
        return {"healthy": healthy, "report": report}

    seen = asyncio.run(main())
    loops = seen["report"]
    assert loops[WATCHER]["restarts"] >= 1 and loops[WATCHER]["essential"] is False
    assert loops[WORKER]["restarts"] == 0
    assert seen["healthy"] is True   # an alarm loop down never degrades the gate or stops the pets
    [post] = [p for p in capture.posts if "alarm watcher" in p.body["detail"]][:1]
    assert post.body["event"] == "device_fault"
    assert "hung: no heartbeat" in post.body["detail"] and "已被看门狗重启" in post.body["detail"]
    assert post.headers["Idempotency-Key"] == post.body["delivery_id"]
