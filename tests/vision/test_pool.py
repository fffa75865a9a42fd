"""The shared ONNX session pool: its size from the machine, the bound on inferences at once
(read from the pool's own counters while borrowers are held inside an inference, never from
timing), real sessions giving the answers a lone classifier gives, and a promoted model's
generation sharing the bound with the one still in use."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from vision.classifier import OnnxClassifier, Prediction
from vision.pool import InferencePool, PoolBusy, PoolSize, PoolStats, pool_size
from vision.synth import generate

SHIPPED = Path("models/intake-classifier/model.onnx")
WAIT_S = 30.0   # a bound for the test's own waits on a loaded machine, never a sleep


@pytest.mark.parametrize("cores, lanes, sessions, threads, expected", [
    (2, 1, None, None, PoolSize(1, 1)),
    (2, 2, None, None, PoolSize(2, 1)),
    (2, 4, None, None, PoolSize(2, 1)),
    (8, 4, None, None, PoolSize(4, 1)),
    (8, 1, None, 4, PoolSize(1, 4)),
    (None, 3, None, None, PoolSize(1, 1)),
    (2, 4, 3, None, PoolSize(3, 1)),
    (16, 4, 1, 4, PoolSize(1, 4)),
])
def test_the_pool_is_sized_to_the_machine_unless_configured(cores, lanes, sessions, threads, expected) -> None:
    size = pool_size(cores, lanes, sessions, threads)
    assert size == expected
    if sessions is None and threads is None and cores:
        assert size.sessions * size.intra_op_threads <= max(cores, 1)


class HeldSession:
    """Stands in for a session: each inference waits until the test lets it finish."""

    def __init__(self, release: threading.Event, card: object = None) -> None:
        self.release, self.card, self.runs = release, card, 0

    def classify_batch(self, images: list[np.ndarray]) -> list[Prediction]:
        assert self.release.wait(WAIT_S)
        self.runs += 1
        return [Prediction(label="clean_sand", confidence=1.0, probs={"clean_sand": 1.0}, uncertain=False)]

    classify_tiles = classify_batch


def _until(pool: InferencePool, check) -> PoolStats:
    """Poll the pool's counters until `check` holds (bounded)."""
    done = threading.Event()
    for _ in range(int(WAIT_S / 0.01)):
        stats = pool.stats()
        if check(stats):
            return stats
        done.wait(0.01)
    raise AssertionError(f"pool never reached the state: {pool.stats()}")


def test_five_borrowers_on_a_pool_of_two_run_two_at_once_and_the_rest_wait() -> None:
    release = threading.Event()
    pool = InferencePool(PoolSize(2, 1), wait_s=WAIT_S)
    sessions = [HeldSession(release), HeldSession(release)]
    model = pool.adopt(sessions)   # type: ignore[arg-type]
    image = np.zeros((64, 64, 3), np.uint8)
    threads = [threading.Thread(target=model.classify_batch, args=([image],)) for _ in range(5)]
    for t in threads:
        t.start()
    held = _until(pool, lambda s: s.in_flight == 2 and s.waiting == 3)
    assert held.peak_in_flight == 2 and held.borrows == 5 and held.waited == 3
    release.set()
    for t in threads:
        t.join(WAIT_S)
    end = pool.stats()
    assert end.in_flight == 0 and end.waiting == 0 and end.peak_in_flight == 2 and end.busy == 0
    assert sum(s.runs for s in sessions) == 5 and end.sessions_created == 2 and end.generations == 1


def test_a_borrower_that_finds_no_session_within_the_wait_is_refused_not_run() -> None:
    release = threading.Event()
    pool = InferencePool(PoolSize(1, 1), wait_s=0.05)
    model = pool.adopt([HeldSession(release)])   # type: ignore[list-item]
    image = np.zeros((8, 8, 3), np.uint8)
    holder = threading.Thread(target=model.classify_batch, args=([image],))
    holder.start()
    _until(pool, lambda s: s.in_flight == 1)
    with pytest.raises(PoolBusy, match="inference_busy"):
        model.classify_batch([image])
    release.set()
    holder.join(WAIT_S)
    assert pool.stats().busy == 1 and pool.stats().peak_in_flight == 1


def test_real_sessions_shared_by_four_threads_answer_as_one_classifier_and_keep_the_bound() -> None:
    pool = InferencePool(PoolSize(2, 1), wait_s=WAIT_S)
    model = pool.load(SHIPPED)
    alone = OnnxClassifier.load(SHIPPED)
    rng = np.random.default_rng(3)
    images = [generate(label, rng, size=160) for label in ("clean_sand", "muddy", "clean_gravel", "foreign")]
    expected = [[p.label for p in alone.classify_tiles(im)] for im in images]
    got: dict[int, list[list[str]]] = {}

    def lane(i: int) -> None:
        got[i] = [[p.label for p in model.classify_tiles(im)] for im in images * 2]

    threads = [threading.Thread(target=lane, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT_S * 4)
    assert all(got[i] == expected * 2 for i in range(4))
    stats = pool.stats()
    assert stats.sessions_created == 2 and stats.borrows == 4 * 8
    assert stats.peak_in_flight <= 2 and stats.in_flight == 0


def test_a_promoted_generation_shares_the_bound_with_the_one_still_judging() -> None:
    pool = InferencePool(PoolSize(2, 1), wait_s=0.05)
    old = pool.load(SHIPPED)
    image = generate("clean_sand", np.random.default_rng(4), size=160)
    with old.lend() as in_flight:           # a truck still being judged on the old model
        new = pool.load(SHIPPED)            # the promotion
        assert new.classify_tiles(image)    # the next truck on the new model: one slot left
        with new.lend():
            assert pool.stats().in_flight == 2
            with pytest.raises(PoolBusy):   # both slots taken across the two generations
                old.classify(image)
        assert in_flight.classify_tiles(image)   # the old session still works for its truck
    stats = pool.stats()
    assert stats.generations == 2 and stats.sessions_created == 4
    assert stats.peak_in_flight == 2 and stats.in_flight == 0
