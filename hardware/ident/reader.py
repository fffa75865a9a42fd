"""A background reader for an RFID reader on a serial line (any pyserial URL).

Each good tag read is passed to `on_tag` (from the reader thread); a card held in the field is
reported once per `repeat_s`, not once per frame. The port is reopened with backoff after errors.
"""
from __future__ import annotations

import logging
import time
from typing import Callable

import serial

from hardware.ident.rfid import DECODERS, TagError, TagRead
from hardware.threads import DeviceThread

log = logging.getLogger(__name__)


class RfidReader(DeviceThread):
    def __init__(self, url: str, protocol: str, on_tag: Callable[[TagRead], None], *,
                 baudrate: int = 9600, repeat_s: float = 2.0, backoff_max: float = 5.0) -> None:
        if protocol not in DECODERS:
            raise ValueError(f"unknown RFID protocol {protocol!r}; known: {', '.join(sorted(DECODERS))}")
        super().__init__(f"rfid {url}")
        self.url, self.protocol = url, protocol
        self._on_tag, self._baud, self._repeat_s, self._backoff_max = on_tag, baudrate, repeat_s, backoff_max
        self._last: dict[str, float] = {}
        self.reads = 0
        self.errors = 0

    def _run(self) -> None:
        delay = 0.1
        while not self._stop.is_set():
            self.beat()
            try:
                with serial.serial_for_url(self.url, baudrate=self._baud, timeout=0.05) as port:
                    delay = 0.1
                    self._pump(port)
            except (serial.SerialException, OSError) as exc:
                log.warning("RFID reader %s: %s", self.url, exc)
            self._stop.wait(delay)
            delay = min(delay * 2, self._backoff_max)

    def _pump(self, port: serial.SerialBase) -> None:
        decoder = DECODERS[self.protocol]()
        while not self._stop.is_set():
            self.beat()
            data = port.read(max(1, min(port.in_waiting, 1024)))
            for item in decoder.feed(data) if data else ():
                if isinstance(item, TagError):
                    self.errors += 1
                    log.debug("RFID frame refused: %s", item.error)
                else:
                    self._deliver(item)

    def _deliver(self, read: TagRead) -> None:
        now = time.monotonic()
        if now - self._last.get(read.tag, -1e9) < self._repeat_s:
            return  # the same card still in the field
        self._last[read.tag] = now
        if len(self._last) > 256:   # only the repeat window matters: forget cards seen before it
            self._last = {tag: at for tag, at in self._last.items() if now - at < self._repeat_s}
        self.reads += 1
        try:
            self._on_tag(read)
        except Exception:  # a consumer bug must not end the reader
            log.exception("RFID tag callback failed")
