"""Several weighbridge decks on one gate PC: not a test, it prints. Part of `make bench`.

    .venv/bin/python scripts/bench_lanes.py [--lanes 1,2,4] [--trucks-per-lane 3] [--speed 5]

Runs the simulated plant and the real gate (`intake demo --lanes N`, every truck sampled) with
1, 2 and 4 decks busy at once, their trucks arriving together, and measures per lane:
- stable weight -> sampler command: from the later of the weigh-in being recorded (the gate
  found the weight stable) and the driver's button being seen (the interlock the gate must
  wait for), to the sampler cycle being commanded;
- frames -> verdict: the inspection's blocking part, camera grab to judgement recorded
  (quality, PNG save, ONNX whole frame and tiles on the shared session pool, grading);
- the scale readers' frame periods: jitter (p95 of |period - nominal|) and missed indicator
  frames (a gap of k periods misses k - 1 frames).
Side by side with one lane alone. The plant runs `--speed` times faster than real time, but the
indicator keeps its real 10 frames a second (its period is stretched by the same factor), and
the photos are rendered before the clock starts so the plant's own drawing is not measured,
and one truck goes through one lane first, uncounted, so the first configuration does not
pay alone for the process's first inspections.
The machine's load average is printed with each row: other work on the cores shows there.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hardware.scale.frame import WeightFrame  # noqa: E402
from hardware.sim.trucks import DEMO_MIX, TruckScenario  # noqa: E402
from intake.demo import runner  # noqa: E402

console = Console(width=200)
REAL_FRAME_PERIOD_S = 0.1   # the demo indicator's period at a plant


@dataclass
class Figures:
    lanes: int
    stable_to_sampler_s: list[float] = field(default_factory=list)
    frames_to_verdict_s: list[float] = field(default_factory=list)
    lines: dict[str, LineFigures] = field(default_factory=dict)   # lane -> its indicator line
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)
    pool: Any = None
    wall_s: float = 0.0
    inference_s: float = 0.0   # of frames -> verdict, the time in the classifier (session waits included)
    trucks: int = 0


def bench_trucks(n: int) -> list[TruckScenario]:
    """Ordinary sampled trucks (the first five of the demo mix), each with its own plate."""
    normal = [t for t in DEMO_MIX if t.behaviour == "normal" and t.registered]
    return [replace(normal[i % len(normal)], plate=normal[i % len(normal)].plate.replace(
        "沪A", f"沪{chr(ord('A') + i // len(normal))}", 1)) for i in range(n)]


_DRAWN: dict[int, Any] = {}
_SAMPLE_IMAGES = runner.sample_images


def prerendered(n: int, seed: int, pool: int = 40) -> Any:
    """The demo's photos, every one drawn before the first measured run (and kept for the rest)."""
    if n not in _DRAWN:
        draw = _SAMPLE_IMAGES(n, seed, pool)
        for _ in range(pool // n):
            for label in sorted({t.load_label for t in DEMO_MIX}):
                draw(label)
        _DRAWN[n] = draw
    return _DRAWN[n]


class Probe:
    """Wraps the running gate's lanes to timestamp what the figures are made of."""

    def __init__(self, figures: Figures) -> None:
        self.f = figures
        self.stable: dict[str, float] = {}     # visit -> weigh-in recorded
        self.driver: dict[str, float] = {}     # visit -> driver's button seen by the lane
        self.decks: dict[str, Any] = {}        # lane -> its deck's simulators
        self.lines: dict[str, Line] = {}
        self._open_deck = runner.open_deck

    async def open_deck(self, opts: Any, cfg: Any, clock: Any, stack: Any, lane: str) -> Any:
        deck = await self._open_deck(opts, cfg, clock, stack, lane)
        self.decks[lane] = deck
        return deck

    def wire(self, gate: Any) -> None:
        records = gate.records
        record_weight = records.record_weight

        def timed_weight(visit: str, kind: str, *args: Any, **kwargs: Any) -> None:
            record_weight(visit, kind, *args, **kwargs)
            if kind == "in":
                self.stable[visit] = time.perf_counter()
        records.record_weight = timed_weight
        for lane in gate.lanes:
            self._lane(lane)

    def _lane(self, lane: Any) -> None:
        apply, take, judge = lane._apply, lane.inspector.sampler.take, lane.inspector._judge_frames

        async def seeing_driver(event: Any) -> None:
            was = lane.state.driver_out
            await apply(event)
            if lane.state.driver_out and not was and lane.state.visit is not None:
                self.driver.setdefault(lane.state.visit, time.perf_counter())

        async def commanding(*args: Any, **kwargs: Any) -> int:
            visit = lane.state.visit
            ready = max(self.stable.get(visit, 0.0), self.driver.get(visit, 0.0))
            if ready:
                self.f.stable_to_sampler_s.append(time.perf_counter() - ready)
            return await take(*args, **kwargs)

        def judging(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return judge(*args, **kwargs)
            finally:
                self.f.frames_to_verdict_s.append(time.perf_counter() - t0)

        lane._apply, lane.inspector.sampler.take, lane.inspector._judge_frames = seeing_driver, commanding, judging
        self.lines[lane.cfg.id] = Line(self.decks[lane.cfg.id].indicator, lane.scale)

    # The demo's plugin hooks: the trucks are done when `cancel` is called, the devices still run.
    def attach(self, devices: Any) -> None:
        return None

    async def on_step(self, index: int, truck: TruckScenario, step: str) -> None:
        return None

    def cancel(self) -> None:
        for lane, line in self.lines.items():
            self.f.lines[lane] = line.stop()


class Line:
    """One indicator's serial line: when the simulator wrote each frame and when the reader
    decoded it, from the moment the reader has caught up with the simulator."""

    def __init__(self, indicator: Any, reader: Any) -> None:
        self.indicator, self.reader = indicator, reader
        self.sent_at: list[float] = []
        self.arrived_at: list[float] = []
        self._wait_for_link()
        tick = indicator._tick

        def writing() -> None:   # the simulator's thread: a frame written at this instant
            before = indicator.frames_sent
            tick()
            if indicator.frames_sent > before:
                self.sent_at.append(time.monotonic())

        def on_frame(item: Any) -> None:   # the reader's thread: a frame decoded now
            if isinstance(item, WeightFrame):
                self.arrived_at.append(time.monotonic())
        indicator._tick, reader._on_frame = writing, on_frame
        self.counts = (indicator.frames_sent, reader.stats().frames)

    def _wait_for_link(self, limit_s: float = 10.0) -> None:
        """Until the reader decodes frames as they come (the port opened, the backlog read)."""
        end = time.monotonic() + limit_s
        while time.monotonic() < end and self.reader.stats().frames < 3:
            time.sleep(0.01)

    def stop(self) -> LineFigures:
        sent = self.indicator.frames_sent - self.counts[0]
        time.sleep(3 * self.indicator.wall_period)   # the last frames on the wire reach the reader
        received = self.reader.stats().frames - self.counts[1]
        del self.indicator._tick   # the class's own again
        self.reader._on_frame = None
        return LineFigures(sent, received, self.sent_at[:], self.arrived_at[:])


@dataclass(frozen=True)
class LineFigures:
    sent: int
    received: int
    sent_at: list[float]
    arrived_at: list[float]

    def delays(self) -> list[float]:
        """Decode time minus write time, frame by frame. Pairing by order holds with no frame
        lost; a frame in flight while the two recorders were put in place shifts it by one
        either way: of the shifts that leave no frame decoded before it was written, the one
        with the shortest delays is the true pairing (any other adds a whole period)."""
        found: list[list[float]] = []
        for shift in range(-2, 3):
            arrived = self.arrived_at[max(shift, 0):]
            sent = self.sent_at[max(-shift, 0):]
            pairs = list(zip(arrived, sent))
            if pairs and all(a >= s for a, s in pairs):
                found.append([a - s for a, s in pairs])
        return min(found, key=statistics.median) if found else []


def run(lanes: int, per_lane: int, speed: float, model_knobs: str = "") -> Figures:
    figures = Figures(lanes, load=os.getloadavg())
    probe = Probe(figures)
    runner.open_deck = probe.open_deck   # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as tmp:
        text = runner.DEMO_CONFIG.read_text(encoding="utf-8")
        text = text.replace('audit_key = "file:var/demo/audit.key"', f'audit_key = "file:{tmp}/audit.key"')
        text = text.replace("frame_period_s = 0.1", f"frame_period_s = {REAL_FRAME_PERIOD_S * speed:g}")
        text = text.replace("[model]\n", f"[model]\n{model_knobs}")
        config = Path(tmp) / "gate.toml"
        config.write_text(text, encoding="utf-8")
        opts = runner.DemoOptions(trucks=lanes * per_lane, speed=speed, db=f"sqlite:///{tmp}/gate.db", web=False,
                                  config=config, sampling_rate=1.0, data_dir=Path(tmp) / "data", lanes=lanes,
                                  plugins=(probe,))
        gates: list[Any] = []

        def on_gate(gate: Any, _url: str | None) -> None:
            gates.append(gate)
            probe.wire(gate)

        out: list[dict] = []
        t0 = time.perf_counter()
        try:
            code = asyncio.run(runner.run_demo(opts, out.append, on_gate=on_gate))
        finally:
            runner.open_deck = probe._open_deck   # type: ignore[assignment]
        figures.wall_s = time.perf_counter() - t0
    if code != 0:
        console.print(f"[red]{lanes} lanes: the demo run failed (exit {code})")
    figures.trucks = sum("refused" not in s for s in out)
    figures.pool = gates[0].pool.stats() if gates and gates[0].pool is not None else None
    figures.inference_s = sum(lane.inspector.inference_seconds for gate in gates for lane in gate.lanes)
    return figures


def median_p95(values: list[float]) -> tuple[float, float]:
    if not values:
        return float("nan"), float("nan")
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def frame_figures(f: Figures, nominal: float) -> tuple[float, float, int, int]:
    """Over every lane's line: (p95 of |period - nominal| between frames decoded, p95 of the
    decode delay after the write, frame slots the simulator left empty, frames written and
    never decoded). A slot is empty when the simulated indicator, a thread of this same
    process, fell behind and skipped it: a real indicator has its own CPU, so that is the
    bench's load, not the reader's; a frame lost is the reader's."""
    lines = list(f.lines.values())
    gaps = [b - a for line in lines for a, b in zip(line.arrived_at, line.arrived_at[1:])]
    written = [b - a for line in lines for a, b in zip(line.sent_at, line.sent_at[1:])]
    empty = sum(max(0, round(g / nominal) - 1) for g in written if g > 1.5 * nominal)
    lost = sum(max(0, line.sent - line.received) for line in lines)
    delays = [d for line in lines for d in line.delays()]
    return median_p95([abs(g - nominal) for g in gaps])[1], median_p95(delays)[1], empty, lost


def table(results: list[Figures], nominal: float, speed: float) -> Table:
    base = results[0]
    t = Table(title=f"lanes busy at once on one gate PC ({os.cpu_count()} cores), plant at {speed:g}x, "
                    f"indicator at {1 / nominal:.0f} frames/s")
    for col in ("lanes", "trucks", "stable→sampler median / p95 ms", "frames→verdict median / p95 ms",
                "in classifier", "frame jitter p95 ms", "decode delay p95 ms", "frames lost (sim skipped)", "x 1 lane (medians)", "pool: sessions, peak, waited",
                "load avg (1, 5 min)"):
        t.add_column(col)
    b_cmd, b_ver = median_p95(base.stable_to_sampler_s)[0], median_p95(base.frames_to_verdict_s)[0]
    for f in results:
        cmd, ver = median_p95(f.stable_to_sampler_s), median_p95(f.frames_to_verdict_s)
        jitter, delay, empty, lost = frame_figures(f, nominal)
        pool = f.pool
        t.add_row(str(f.lanes), str(f.trucks), f"{cmd[0] * 1e3:.0f} / {cmd[1] * 1e3:.0f}",
                  f"{ver[0] * 1e3:.0f} / {ver[1] * 1e3:.0f}",
                  f"{f.inference_s / max(sum(f.frames_to_verdict_s), 1e-9):.0%}", f"{jitter * 1e3:.1f}", f"{delay * 1e3:.1f}", f"{lost} ({empty})",
                  f"{cmd[0] / b_cmd:.2f}x, {ver[0] / b_ver:.2f}x",
                  f"{pool.sessions}x{pool.intra_op_threads} thr, {pool.peak_in_flight}, {pool.waited}" if pool else "-",
                  f"{f.load[0]:.1f}, {f.load[1]:.1f}")
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lanes", default="1,2,4", help="comma-separated lane counts; the first is the baseline")
    ap.add_argument("--trucks-per-lane", type=int, default=2)
    ap.add_argument("--speed", type=float, default=5.0)
    ap.add_argument("--warmup", type=int, default=1,
                    help="trucks through one lane first, not counted: the process's first inspections pay "
                         "for first calls (imports, allocator, ONNX and OpenCV set-up)")
    ap.add_argument("--sessions", type=int, help="[model] sessions (default: sized to the cores)")
    ap.add_argument("--intra-op-threads", type=int, help="[model] intra_op_threads (default: sized to the cores)")
    args = ap.parse_args()
    knobs = "".join(f"{name} = {value}\n" for name, value in
                    (("sessions", args.sessions), ("intra_op_threads", args.intra_op_threads)) if value is not None)
    prerendered(runner.demo_config(runner.DemoOptions()).lanes[0].camera.frames, seed=7)
    runner.sample_images = prerendered  # type: ignore[assignment]
    runner.demo_trucks = bench_trucks   # type: ignore[assignment]
    if args.warmup:
        console.print(f"warming up: 1 lane, {args.warmup} truck(s), not counted ...")
        run(1, args.warmup, args.speed, knobs)
    results = []
    for n in (int(x) for x in args.lanes.split(",")):
        console.print(f"running {n} lane(s), {n * args.trucks_per_lane} trucks ...")
        results.append(run(n, args.trucks_per_lane, args.speed, knobs))
    console.print(table(results, REAL_FRAME_PERIOD_S, args.speed))


if __name__ == "__main__":
    main()
