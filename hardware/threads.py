"""A device reader's background thread, with what a supervisor needs to watch it.

A serial read can hang in a driver, or a thread can die of a bug; the lane would only see its
weight or tags go stale. `beat()` from the thread's loop marks it alive, `alive` and `beat_at`
let the gate's watchdog notice a hung or dead thread, and `restart()` starts a fresh one once
the old thread has ended (a thread cannot be killed, so a hung one is never run twice).
"""
from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod

log = logging.getLogger(__name__)


class DeviceThread(ABC):
    def __init__(self, name: str) -> None:
        self.thread_name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.beat_at = time.monotonic()

    @abstractmethod
    def _run(self) -> None:
        """The thread's loop: runs until `_stop` is set, calling `beat()` as it goes."""

    def beat(self) -> None:
        """Called by the thread's loop at least once per read timeout or backoff wait."""
        self.beat_at = time.monotonic()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def ident(self) -> int | None:
        return None if self._thread is None else self._thread.ident

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{self.thread_name} already started")
        self._spawn()

    def restart(self) -> None:
        """A new thread after the old one ended (crashed, or stopped by `stop`)."""
        if self.alive:
            raise RuntimeError(f"{self.thread_name}: the previous thread is still running")
        self._stop.clear()
        self._spawn()

    def stop(self, timeout: float = 2.0) -> bool:
        """Ask the thread to end and wait up to `timeout`. True if it ended."""
        self._stop.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _guarded(self) -> None:
        try:
            self._run()
        except BaseException:   # noqa: BLE001 - logged here; the supervisor sees the thread gone
            log.critical("%s: thread ended by an uncaught error", self.thread_name, exc_info=True)

    def _spawn(self) -> None:
        self.beat()
        self._thread = threading.Thread(target=self._guarded, name=self.thread_name, daemon=True)
        self._thread.start()
