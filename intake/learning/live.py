"""The running gate follows the registry: before each inspection a lane asks which model is in
service; a promotion or rollback takes effect at the next inspection, never in the middle of
one (the truck on the deck keeps the model its inspection started with, and its Inspection
record names that model's SHA-256).

One follower serves every lane: the registry is read at most once per `every_s` wall seconds
and a new model file is loaded once (into the gate's inference pool, vision/pool.py), then
handed to each lane as it starts its next inspection. A promoted file that does not load
(missing, damaged, its card naming another file) leaves no model: drawn trucks are recorded not
sampled and not probed, as with a bad configured model, and the reason is logged."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from sqlalchemy.engine import Engine

from intake.learning.registry import in_service
from intake.store.db import read_only
from vision.classifier import ModelError, OnnxClassifier

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Loaded:
    sha256: str | None                # of the model meant to be in service
    classifier: Any                   # vision.pool.PooledModel (or an OnnxClassifier) or None
    problem: str | None = None


class ModelFollower:
    def __init__(self, engine: Engine, data_dir: Path, configured: Path, loaded: Loaded, every_s: float = 1.0,
                 load: Callable[[Path], Any] | None = None) -> None:
        """`load(path)` makes the classifier of a promoted file: the gate's inference pool's
        `load`, so the new sessions share the pool's bound with the old ones still in use
        (None: a lone OnnxClassifier, for tools and tests)."""
        self.engine, self.data_dir, self.configured = read_only(engine), data_dir, configured
        self.every_s, self._make = every_s, load or _lone
        self._lock = threading.Lock()
        self._loaded = loaded
        self._checked = time.monotonic()

    @property
    def problem(self) -> str | None:
        """Why there is no model in service now (None: there is one), for /health."""
        return self._loaded.problem

    def current(self) -> Loaded:
        """The model in service now (blocking: call from a worker thread)."""
        with self._lock:
            if time.monotonic() - self._checked < self.every_s:
                return self._loaded
            self._checked = time.monotonic()
            try:
                wanted = in_service(self.engine, self.data_dir, self.configured)
            except Exception as exc:   # the store is failing: keep judging with what is loaded
                log.warning("model registry unreadable, keeping the loaded model: %s", exc)
                return self._loaded
            if wanted.sha256 and wanted.sha256 != self._loaded.sha256:
                self._loaded = _load(wanted.path, wanted.sha256, self._make)
            return self._loaded


def _lone(path: Path) -> OnnxClassifier:
    return OnnxClassifier.load(path)


def _load(path: Path, sha256: str, make: Callable[[Path], Any]) -> Loaded:
    try:
        classifier = make(path)
        if classifier.card.sha256 != sha256:
            raise ModelError(f"{path}: file is {classifier.card.sha256[:16]}, the registry names {sha256[:16]}")
    except ModelError as exc:
        log.error("model in service unavailable, drawn trucks are not sampled: %s", exc)
        return Loaded(sha256, None, str(exc))
    log.info("model in service now %s (%s)", sha256[:16], path)
    return Loaded(sha256, classifier)
