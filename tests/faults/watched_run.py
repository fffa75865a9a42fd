"""The demo plant with a test-side watcher running beside the gate: it sees every lane status
the kiosk would see and acts on the outside world (the disk, a lock, the central server) when
the lane reaches a chosen step. The outcome is read back like tests/faults/harness.py does."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable

from hardware.sim.trucks import demo_trucks
from intake.demo.runner import DemoOptions, run_demo
from intake.gate import Gate
from intake.lane.status import LaneStatus

from .harness import RUN_TIMEOUT_S, Outcome, _read_back, write_config

POLL_S = 0.01


@dataclass
class Watch:
    """What the watcher saw: every distinct lane-1 status, and the gate once it is up."""
    gate: Gate | None = None
    seen: list[LaneStatus] = field(default_factory=list)
    summaries: list[dict] = field(default_factory=list)

    def latest(self) -> LaneStatus | None:
        return self.gate.hub.latest("1") if self.gate else None

    def note(self, status: LaneStatus) -> None:
        """Keep a status in `seen`, once: the recorder and `until` both look, and a status `until`
        returned must be in `seen` even if the lane moved on before the recorder's next look."""
        if not self.seen or self.seen[-1] is not status:
            self.seen.append(status)

    async def until(self, check: Callable[[LaneStatus], bool], timeout_s: float = 60.0) -> LaneStatus:
        """Wait (polling, as a kiosk would see it) for a lane status that satisfies `check`."""
        async def poll() -> LaneStatus:
            while True:
                status = self.latest()
                if status is not None and check(status):
                    self.note(status)   # no await between the look and the note: `seen` keeps its order
                    return status
                await asyncio.sleep(POLL_S)
        return await asyncio.wait_for(poll(), timeout_s)


Watcher = Callable[[Watch], Awaitable[None]]


def run_watched(tmp: Path, db: Path, trucks: int, watcher: Watcher, rate: float = 1.0,
                speed: float = 50, query: str = "") -> tuple[Outcome, Watch]:
    """Run `trucks` demo trucks on a gate whose database is the file `db` (`query`: URL options
    such as `?timeout=0.3`); `watcher` runs beside and may end the run early by failing."""
    watch = Watch()
    config = write_config(tmp)
    url = f"sqlite:///{db}{query}"
    opts = DemoOptions(trucks=trucks, speed=speed, db=url, web=False, config=config, sampling_rate=rate,
                       data_dir=tmp / "data")

    async def record() -> None:
        while True:
            status = watch.latest()
            if status is not None:
                watch.note(status)
            await asyncio.sleep(POLL_S)

    async def scenario() -> int:
        demo = asyncio.create_task(run_demo(opts, watch.summaries.append,
                                            on_gate=lambda g, _u: setattr(watch, "gate", g)))
        recorder = asyncio.create_task(record())
        acting = asyncio.create_task(watcher(watch))
        try:
            await asyncio.wait({demo, acting}, return_when=asyncio.FIRST_EXCEPTION)
            if acting.done() and acting.exception() is not None:
                demo.cancel()
                raise acting.exception()  # type: ignore[misc]
            code = await demo
            await acting
            return code
        finally:
            recorder.cancel()
            acting.cancel()

    code = asyncio.run(asyncio.wait_for(scenario(), timeout=RUN_TIMEOUT_S))
    outcome = Outcome(code, demo_trucks(trucks), watch.summaries, [])
    _read_back(outcome, f"sqlite:///{db}", tmp / "audit.key")
    return outcome, watch
