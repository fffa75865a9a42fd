"""Liveness limits on a fast simulated clock.

A liveness limit says how long a signal may stay silent before the lane calls it lost: the
indicator's weight (`weighing.unknown_timeout_s`), the I/O module's and the sampler PLC's
heartbeats, an arm's travel to its limit switch. At a plant (speed 1) they are the configured
seconds. The demo and the fault tests run the plant at up to 50x, where the plant's 2 s is
40 ms of wall time: less than a loaded machine's scheduler may leave a reader thread waiting,
so a busy CI host would see faults that never happened. On a fast clock each limit is kept at
`LIVENESS_MIN_WALL_S` of wall time at least. Pure.
"""
from __future__ import annotations

from intake.config import LaneConfig

LIVENESS_MIN_WALL_S = 0.5


def liveness_s(limit_s: float, speed: float) -> float:
    """`limit_s` simulated seconds, never under LIVENESS_MIN_WALL_S of wall time above 1x."""
    return limit_s if speed <= 1.0 else max(limit_s, speed * LIVENESS_MIN_WALL_S)


def paced(lane: LaneConfig, speed: float) -> LaneConfig:
    """The lane's configuration with its liveness limits floored for a clock at `speed`."""
    w, s, p = lane.weighing, lane.safety, lane.sampler
    return lane.model_copy(update={
        "weighing": w.model_copy(update={"unknown_timeout_s": liveness_s(w.unknown_timeout_s, speed)}),
        "safety": s.model_copy(update={
            "io_heartbeat_timeout_s": liveness_s(s.io_heartbeat_timeout_s, speed),
            "barrier_travel_s": liveness_s(s.barrier_travel_s, speed)}),
        "sampler": p.model_copy(update={"heartbeat_timeout_s": liveness_s(p.heartbeat_timeout_s, speed)}),
    })
