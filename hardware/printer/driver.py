"""Send a finished print job to a receipt printer: the only code that opens a printer.

Three links, the ones kiosk printers ship with:
  tcp     raw socket to the printer's port 9100 (JetDirect / "RAW"); the job is written and the
          socket shut down for writing, so the printer knows the job ended
  serial  an RS-232 line through pyserial (a path or any pyserial URL), with its baud rate
  usb     the printer's character device (Linux usblp: /dev/usb/lp0), written like a file

Every send has a deadline. A printer that is off, out of paper or unplugged makes `send`
raise PrinterError; the caller records the failed print and the ticket can be printed later.
"""
from __future__ import annotations

import os
import select
import socket
import time
from dataclasses import dataclass
from typing import Literal

import serial

Link = Literal["tcp", "serial", "usb"]


class PrinterError(OSError):
    """The job did not reach the printer (whole or in part)."""


@dataclass(frozen=True)
class PrinterLink:
    link: Link
    host: str | None = None        # tcp
    port: int = 9100               # tcp
    device: str | None = None      # serial (path or pyserial URL) or usb (character device)
    baud: int = 9600               # serial
    timeout_s: float = 5.0

    def describe(self) -> str:
        """Where a job went, as a print record names it."""
        return f"tcp:{self.host}:{self.port}" if self.link == "tcp" else f"{self.link}:{self.device}"

    def send(self, job: bytes) -> None:
        try:
            if self.link == "tcp":
                self._send_tcp(job)
            elif self.link == "serial":
                self._send_serial(job)
            else:
                self._send_device(job)
        except PrinterError:
            raise
        except (OSError, serial.SerialException, ValueError) as exc:
            raise PrinterError(f"printer {self.describe()}: {exc}") from exc

    def _send_tcp(self, job: bytes) -> None:
        if not self.host:
            raise PrinterError("tcp printer without a host")
        with socket.create_connection((self.host, self.port), timeout=self.timeout_s) as sock:
            sock.sendall(job)
            # Half-close: the job is complete. Waiting for the peer's close (or the deadline)
            # tells a printer that took the bytes from one whose buffer stalled.
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(self.timeout_s)
            try:
                while sock.recv(256):
                    pass   # status bytes some printers send back: not interpreted here
            except TimeoutError:
                pass

    def _send_serial(self, job: bytes) -> None:
        if not self.device:
            raise PrinterError("serial printer without a device")
        with serial.serial_for_url(self.device, baudrate=self.baud, timeout=self.timeout_s,
                                   write_timeout=self.timeout_s) as port:
            written = port.write(job)
            port.flush()
        if written != len(job):
            raise PrinterError(f"printer {self.describe()}: {written} of {len(job)} bytes written")

    def _send_device(self, job: bytes) -> None:
        if not self.device:
            raise PrinterError("usb printer without a device")
        # Non-blocking with a deadline: usblp blocks a write while the printer is out of paper.
        fd = os.open(self.device, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY)
        try:
            deadline, view = time.monotonic() + self.timeout_s, memoryview(job)
            while view:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise PrinterError(f"printer {self.describe()}: timed out with {len(view)} bytes unsent")
                _, ready, _ = select.select([], [fd], [], left)
                if ready:
                    view = view[os.write(fd, view):]
        finally:
            os.close(fd)
