"""A USB-serial indicator that can be pulled out and plugged back in.

Each plug-in is a new pseudo-terminal (the kernel hands a replugged adapter a new ttyUSBn),
reached through the same stable link, as udev's /dev/serial/by-id link is. Pulling it closes
the pty under the reader (pyserial then raises "device reports readiness to read but returned
no data") and removes the link, so re-opens fail until it is plugged back.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable

from hardware.scale.simulator import IndicatorSimulator

log = logging.getLogger(__name__)


class PluggableIndicator:
    """Owns the current IndicatorSimulator (made by `make(link)`); other calls go to it."""

    def __init__(self, make: Callable[[Path], IndicatorSimulator], link: Path) -> None:
        self._make, self.link = make, link
        self.sim: IndicatorSimulator | None = None
        self.plugs = 0

    def start(self) -> str:
        self.link.parent.mkdir(parents=True, exist_ok=True)
        self.plug()
        return str(self.link)

    def plug(self) -> None:
        if self.sim is not None:
            return
        self.sim = self._make(self.link)
        self.sim.start()
        self.plugs += 1
        log.warning("indicator plugged in as %s -> %s", self.link, self.sim.port)

    def unplug(self) -> None:
        if self.sim is None:
            return
        log.warning("indicator unplugged (%s)", self.sim.port)
        self.sim.stop()
        self.sim = None

    def stop(self) -> None:
        self.unplug()

    def __getattr__(self, name: str) -> Any:
        # Fault injection (noise, silence, reboot...) goes to whatever is plugged in now.
        sim = self.__dict__.get("sim")
        if sim is None:
            raise AttributeError(f"indicator unplugged: no {name}")
        return getattr(sim, name)
