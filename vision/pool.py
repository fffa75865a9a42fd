"""One pool of ONNX sessions for every lane of a gate.

Each lane used to run its inferences on its own thread against one shared session, so four
lanes judging at once ran four inferences at once on a two-core PC, each slowing the others.
The pool bounds that: a fixed number of sessions, each with a fixed number of intra-op
threads, sized so that sessions x threads is at most the machine's cores. A lane borrows one session
for one frame's inference (the whole frame and its tiles in one batch) and gives it back.

A promoted model is a new generation of sessions loaded into the same pool: the slots (the
bound on inferences at once) belong to the pool, not to a generation, so an inspection still
finishing on the old model and the next one starting on the new model share one bound, and the
old sessions go when the last lane holding them lets go.
"""
from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vision.classifier import ModelError, OnnxClassifier, Prediction
from vision.model_card import LABELS, ModelCard
from vision.preprocess import tiles


class PoolBusy(ModelError):
    """No session came free within the wait: the frame is not judged (REVIEW, never PASS)."""


@dataclass(frozen=True)
class PoolSize:
    sessions: int
    intra_op_threads: int


def pool_size(cpu_count: int | None, lanes: int, sessions: int | None = None,
              intra_op_threads: int | None = None) -> PoolSize:
    """The configured figures, or: one session per lane up to one per core, each computing on
    one thread, so inferences never take more threads than there are cores. More inferences at
    once than cores only slows each of them; and a second intra-op thread for a lone lane
    measured slower on two cores (frames -> verdict 1101 and 1332 ms with 2 threads, 745 and
    944 ms with 1, scripts/bench_lanes.py): the frame's other work (PNG save, quality,
    grading), the readers and the event loop need the other core."""
    cores = max(1, cpu_count or 1)
    n = sessions if sessions is not None else max(1, min(lanes, cores))
    return PoolSize(n, intra_op_threads if intra_op_threads is not None else 1)


def machine_cores() -> int:
    """The cores this process may run on (a container's or taskset's limit, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@dataclass(frozen=True)
class PoolStats:
    sessions: int            # sessions per generation = inferences allowed at once
    intra_op_threads: int
    sessions_created: int    # over every generation loaded (a promotion adds `sessions`)
    generations: int
    in_flight: int           # inferences running now
    peak_in_flight: int      # the most ever running at once: never above `sessions`
    waiting: int             # borrowers blocked for a slot now
    borrows: int             # frames lent a session
    waited: int              # of those, how many found every slot taken and had to wait
    busy: int                # borrows that gave up after the wait (PoolBusy)


class InferencePool:
    """The slots and the counters; `load` adds a generation of sessions for one model file."""

    def __init__(self, size: PoolSize, wait_s: float = 5.0) -> None:
        self.size, self.wait_s = size, wait_s
        self._slots = threading.BoundedSemaphore(size.sessions)
        self._lock = threading.Lock()
        self._n = dict(sessions_created=0, generations=0, in_flight=0, peak_in_flight=0, waiting=0,
                       borrows=0, waited=0, busy=0)

    def load(self, model_path: Path, expected_labels: Sequence[str] | None = LABELS) -> PooledModel:
        """A generation: `sessions` sessions of the file, each checked against its card (raises
        ModelError like OnnxClassifier.load)."""
        made = [OnnxClassifier.load(model_path, intra_op_threads=self.size.intra_op_threads,
                                    expected_labels=expected_labels) for _ in range(self.size.sessions)]
        return self.adopt(made)

    def adopt(self, sessions: Sequence[OnnxClassifier]) -> PooledModel:
        """A generation of sessions already loaded (one model: the first one's card speaks for all)."""
        if len(sessions) != self.size.sessions:
            raise ValueError(f"a generation has {self.size.sessions} sessions, got {len(sessions)}")
        with self._lock:
            self._n["sessions_created"] += len(sessions)
            self._n["generations"] += 1
        return PooledModel(self, sessions)

    def stats(self) -> PoolStats:
        with self._lock:
            return PoolStats(self.size.sessions, self.size.intra_op_threads, **self._n)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """One of the pool's inferences at once, waited for up to `wait_s`."""
        with self._lock:
            self._n["borrows"] += 1
        if not self._slots.acquire(blocking=False):
            with self._lock:
                self._n["waited"] += 1
                self._n["waiting"] += 1
            got = self._slots.acquire(timeout=self.wait_s)
            with self._lock:
                self._n["waiting"] -= 1
                self._n["busy"] += not got
            if not got:
                raise PoolBusy(f"inference_busy: no session free within {self.wait_s:g} s")
        with self._lock:
            self._n["in_flight"] += 1
            self._n["peak_in_flight"] = max(self._n["peak_in_flight"], self._n["in_flight"])
        try:
            yield
        finally:
            with self._lock:
                self._n["in_flight"] -= 1
            self._slots.release()


class PooledModel:
    """One model's sessions in the pool, seen by a lane as one classifier (the inspector's
    Classifier protocol): each call borrows a session for its whole batch."""

    def __init__(self, pool: InferencePool, sessions: Sequence[OnnxClassifier]) -> None:
        self.pool = pool
        self._free: queue.Queue[OnnxClassifier] = queue.Queue()
        for session in sessions:
            self._free.put(session)
        self.card: ModelCard = sessions[0].card

    @property
    def labels(self) -> list[str]:
        return list(self.card.labels)

    @contextmanager
    def lend(self) -> Iterator[OnnxClassifier]:
        """A session of this model for one frame. Holding a pool slot, a free session of this
        generation is certain: no more of its sessions are out than slots are taken."""
        with self.pool.slot():
            session = self._free.get(timeout=self.pool.wait_s)
            try:
                yield session
            finally:
                self._free.put(session)

    def classify(self, image_bgr: np.ndarray) -> Prediction:
        with self.lend() as session:
            return session.classify(image_bgr)

    def classify_batch(self, images_bgr: Sequence[np.ndarray]) -> list[Prediction]:
        with self.lend() as session:
            return session.classify_batch(images_bgr)

    def classify_tiles(self, image_bgr: np.ndarray) -> list[Prediction]:
        """The whole frame and its tiles on one borrowed session (tiles cut before borrowing)."""
        batch = tiles(image_bgr)
        with self.lend() as session:
            return session.classify_batch(batch)
