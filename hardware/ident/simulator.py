"""A simulated RFID reader: writes real reader frames into a pseudo-terminal when a tag is shown."""
from __future__ import annotations

import os
import tty

from hardware.ident.rfid import ENCODERS


class RfidSimulator:
    def __init__(self, protocol: str = "em4100") -> None:
        if protocol not in ENCODERS:
            raise ValueError(f"unknown RFID protocol {protocol!r}")
        self._encode = ENCODERS[protocol]
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # bytes pass unchanged
        os.set_blocking(self._master, False)
        self.port = os.ttyname(self._slave)

    def show(self, tag: str, noise: bytes = b"") -> None:
        """A card (or UHF tag) enters the field: one frame, optionally after line noise."""
        try:
            os.write(self._master, noise + self._encode(tag))
        except (BlockingIOError, OSError):
            pass  # nobody reading: a real reader's frame would be lost too

    def close(self) -> None:
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
