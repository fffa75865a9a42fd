"""Device reader threads under the watchdog: a scale or RFID reader thread that dies is started
again; one that hangs is asked to stop, and one that will not stop is never run twice, so the
watchdog gives up and the lane stays closed. On the simulated plant, a scale thread dying under
a truck makes the lane treat the indicator as reset: that truck is not passed."""
from __future__ import annotations

import asyncio
import os
import pty
import threading
import time
import tty

from hardware.scale.toledo import encode_toledo
from hardware.scale.reader import ScaleReader
from hardware.threads import DeviceThread
from .injector import FaultSpec
from intake.watchdog import SystemdNotifier, Watchdog, thread_loop
from .harness import check_invariants, run_scenario


def _fast_watchdog(gate) -> None:
    gate.watchdog = Watchdog(max_restarts=3, window_s=600.0, check_s=0.1, notifier=SystemdNotifier(""))


def test_a_dead_scale_thread_under_a_truck_is_restarted_and_the_truck_is_not_passed(tmp_path):
    o = run_scenario(tmp_path, 2, [FaultSpec(0, "scale.thread_crash", at="positioned")], setup=_fast_watchdog)
    check_invariants(o, touched={0})
    assert o.gate.watchdog.restarts()["scale 1"] == 1
    assert o.gate.watchdog.report()["scale 1"]["state"] == "ok"
    first = o.first(0)
    # The weight went stale when the thread died, or the new thread's port is a new link.
    assert first.verdict == "review" and {"weight_unknown", "indicator_reset"} & set(sum(first.reasons, [])), first
    # Back in service: the next truck is weighed in and out by the new thread.
    assert o.of(1) and all({"in", "out"} <= set(v.weights) for v in o.of(1))


def test_a_dead_rfid_thread_is_restarted_and_the_next_truck_is_identified(tmp_path):
    o = run_scenario(tmp_path, 2, [FaultSpec(0, "rfid.thread_crash", at="positioned")], setup=_fast_watchdog)
    check_invariants(o, touched=set())
    assert o.gate.watchdog.restarts()["rfid 1"] == 1
    assert o.gate.watchdog.report()["rfid 1"]["state"] == "ok"
    assert o.of(1), "truck 1 was not identified after the reader thread came back"


# ---- the thread supervision alone, on a real pyserial loop:// port ------------------------

class _Stuck(DeviceThread):
    """A reader whose thread blocks in a call that ignores its stop flag until `release`."""

    def __init__(self) -> None:
        super().__init__("stuck reader")
        self.release = threading.Event()
        self.blocked = threading.Event()
        self.starts = 0

    def _run(self) -> None:
        self.starts += 1
        while not self._stop.is_set():
            self.beat()
            if self.blocked.is_set():
                self.release.wait()   # e.g. a driver call that never returns
            time.sleep(0.01)


def _supervise(device: DeviceThread, max_restarts: int, run_s: float, during=None) -> Watchdog:
    dog = Watchdog(max_restarts=max_restarts, window_s=60.0, check_s=0.02, notifier=SystemdNotifier(""))
    stop = asyncio.Event()
    beat = dog.watch("reader", lambda: thread_loop(device, beat, stop, check_s=0.02), period_s=0.3)

    async def scenario() -> None:
        run = asyncio.create_task(dog.run(stop))
        await asyncio.sleep(0.2)
        if during is not None:
            during()
        await asyncio.sleep(run_s)
        stop.set()
        await run

    device.start()
    try:
        asyncio.run(asyncio.wait_for(scenario(), 20))
    finally:
        device.stop(0.5)
    return dog


def test_a_hung_thread_that_will_not_stop_is_never_run_twice_and_the_watchdog_gives_up():
    device = _Stuck()
    dog = _supervise(device, max_restarts=2, run_s=1.5, during=device.blocked.set)
    try:
        report = dog.report()["reader"]
        assert report["state"] == "failed" and "did not stop" in report["reason"], report
        assert device.starts == 1   # the hung thread was never joined by a second one
    finally:
        device.release.set()


def test_a_hung_thread_that_ends_when_asked_is_replaced_by_a_fresh_one():
    device = _Stuck()

    def hang_once() -> None:
        device.blocked.set()

        def unblock_on_stop() -> None:   # the blocking call returns once the port is closed
            while not device.stopping:
                time.sleep(0.01)
            device.blocked.clear()
            device.release.set()
        threading.Thread(target=unblock_on_stop, daemon=True).start()

    dog = _supervise(device, max_restarts=3, run_s=1.5, during=hang_once)
    assert device.starts == 2 and dog.restarts() == {"reader": 1}
    assert dog.report()["reader"]["state"] == "ok" and device.alive is False   # stopped at the end


def test_a_scale_reader_whose_frame_consumer_blocks_is_found_hung():
    # The frame callback is the reader's public hook; blocking in it is a real hang of the thread.
    release = threading.Event()
    master, slave = pty.openpty()
    tty.setraw(slave)
    reader = ScaleReader(os.ttyname(slave), "toledo", on_frame=lambda _item: release.wait(), read_timeout=0.01)
    try:
        dog = _supervise(reader, max_restarts=1, run_s=2.5,
                         during=lambda: os.write(master, encode_toledo(12340)))
        report = dog.report()["reader"]
        assert report["state"] == "failed" and "did not stop" in report["reason"], report
    finally:
        release.set()
        reader.stop(1.0)
        os.close(master)
        os.close(slave)
