"""The remote attendant's latencies on the demo gate: not a test, it prints.

    .venv/bin/python scripts/bench_attendant.py [--trucks 4] [--speed 10]

Trucks whose drivers stay in the cab (REVIEW) wait on the deck for the attendant. For each:
- call: the kiosk's call row committed -> the lane's snapshot with the call raised (what the
  console's stream carries);
- release: the attendant's request row committed (what the console's POST writes) -> the
  snapshot after the plant arm's order was written to the simulated I/O module (the lane
  publishes after it has executed the commands, the new decision recorded first).
Figures are wall milliseconds and, in brackets, simulated seconds: the lane looks for requests
every simulated second (at least every 0.1 s of wall time on a fast clock), so at speed 1 the
release waits up to a second for the next look.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hardware.sim.plant import PlantTiming  # noqa: E402
from hardware.sim.trucks import DEMO_MIX  # noqa: E402
from intake.demo.runner import DemoDevices, DemoOptions, run_demo  # noqa: E402
from intake.lane.status import LaneStatus, LaneStep  # noqa: E402
from intake.store import attendant  # noqa: E402

HOLD_S = 3000.0


@dataclass
class Timer:
    speed: float
    calls: list[float] = field(default_factory=list)      # wall seconds
    releases: list[float] = field(default_factory=list)
    _asked: dict[str, float] = field(default_factory=dict)   # visit -> when its request was written
    _called: dict[str, float] = field(default_factory=dict)

    def attach(self, devices: DemoDevices) -> None:
        hub, engine = devices.gate.hub, devices.gate.records.engine
        publish = hub.publish

        def seen(status: LaneStatus) -> None:
            publish(status)
            visit, now = status.visit, time.perf_counter()
            if visit is None:
                return
            if status.step is LaneStep.HELD and visit not in self._called:
                self._called[visit] = now
                attendant.record_call(engine, status.lane, visit)   # on the loop: measured as the page's wait
                self._called[visit] = time.perf_counter()
            elif status.step is LaneStep.HELD and status.called and visit not in self._asked:
                self.calls.append(now - self._called[visit])
                self._asked[visit] = time.perf_counter()
                attendant.request(engine, status.lane, visit, "release", "bench", "bench", None)
                self._asked[visit] = time.perf_counter()
            elif status.attendant == "release" and visit in self._asked:
                self.releases.append(now - self._asked.pop(visit))
        hub.publish = seen   # type: ignore[method-assign]

    async def on_step(self, index: int, truck: object, step: str) -> None:
        return None

    def cancel(self) -> None:
        return None


def show(name: str, samples: list[float], speed: float) -> None:
    if not samples:
        print(f"{name}: no sample")
        return
    ms = sorted(s * 1000 for s in samples)
    print(f"{name}: n={len(ms)} median {statistics.median(ms):.0f} ms, max {ms[-1]:.0f} ms "
          f"[{statistics.median(ms) * speed / 1000:.2f} / {ms[-1] * speed / 1000:.2f} simulated s]")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trucks", type=int, default=4)
    ap.add_argument("--speed", type=float, default=10.0)
    args = ap.parse_args()
    base = next(t for t in DEMO_MIX if t.behaviour == "stays_in_cab")
    trucks = tuple(replace(base, plate=f"沪A·B{i:04d}") for i in range(args.trucks))
    timer = Timer(args.speed)
    with tempfile.TemporaryDirectory() as tmp:
        opts = DemoOptions(trucks=len(trucks), speed=args.speed, db=f"sqlite:///{Path(tmp) / 'gate.db'}", web=False,
                           sampling_rate=1.0, data_dir=Path(tmp) / "data", plugins=(timer,), attendant_hold_s=HOLD_S,
                           scenarios=trucks, plant_timing=PlantTiming(route_give_up_s=HOLD_S * 2))
        code = asyncio.run(run_demo(opts, lambda line: None))
    show("call -> raised", timer.calls, args.speed)
    show("release request -> plant arm ordered", timer.releases, args.speed)
    sys.exit(code)


if __name__ == "__main__":
    main()
