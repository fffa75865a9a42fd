"""Send a finished print job to a receipt printer: the only code that opens a printer.

Three links, the ones kiosk printers ship with:
  tcp     raw socket to the printer's port 9100 (JetDirect / "RAW"); the job is written and the
          socket shut down for writing, so the printer knows the job ended
  serial  an RS-232 line through pyserial (a path or any pyserial URL), with its baud rate
  usb     the printer's character device (Linux usblp: /dev/usb/lp0), written like a file

Every send has a deadline. A printer that is off, out of paper or unplugged makes `send`
raise PrinterError; the caller records the failed print and the ticket can be printed later.
On the two links that talk back (tcp, serial) the printer is first asked its real-time status
(hardware.printer.status): with its cover open or its paper out the job is not sent at all, so
no ticket is half printed or lost in a buffer; a printer that does not answer is sent the job.
"""
from __future__ import annotations

import os
import select
import socket
import time
from dataclasses import dataclass
from typing import Literal

import serial

from hardware.printer import status as escpos_status
from hardware.printer.status import PrinterStatus, StatusByteError

Link = Literal["tcp", "serial", "usb"]
STATUS_WAIT_S = 1.0   # at most, for the status answer; a printer answers at once or never


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

    def send(self, job: bytes) -> PrinterStatus | None:
        """Print `job`; the printer's status as it answered before it (None: it did not say)."""
        try:
            if self.link == "tcp":
                return self._send_tcp(job)
            if self.link == "serial":
                return self._send_serial(job)
            self._send_device(job)
            return None
        except PrinterError:
            raise
        except (OSError, serial.SerialException, ValueError) as exc:
            raise PrinterError(f"printer {self.describe()}: {exc}") from exc

    def _ready(self, answer: bytes) -> PrinterStatus | None:
        """The status the printer answered, or PrinterError if it cannot print now."""
        if len(answer) < 2:
            return None
        try:
            found = escpos_status.decode(answer[0], answer[1])
        except StatusByteError:
            return None   # something else came back: no status known
        if found.problems:
            raise PrinterError(f"printer {self.describe()}: {', '.join(found.problems)}; nothing sent")
        return found

    def _send_tcp(self, job: bytes) -> PrinterStatus | None:
        if not self.host:
            raise PrinterError("tcp printer without a host")
        with socket.create_connection((self.host, self.port), timeout=self.timeout_s) as sock:
            sock.sendall(escpos_status.QUERY)
            found = self._ready(_recv_up_to(sock, 2, min(STATUS_WAIT_S, self.timeout_s)))
            sock.settimeout(self.timeout_s)
            sock.sendall(job)
            # Half-close: the job is complete. Waiting for the peer's close (or the deadline)
            # tells a printer that took the bytes from one whose buffer stalled.
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(self.timeout_s)
            try:
                while sock.recv(256):
                    pass   # status bytes some printers send back unasked: not interpreted here
            except TimeoutError:
                pass
        return found

    def _send_serial(self, job: bytes) -> PrinterStatus | None:
        if not self.device:
            raise PrinterError("serial printer without a device")
        with serial.serial_for_url(self.device, baudrate=self.baud, timeout=min(STATUS_WAIT_S, self.timeout_s),
                                   write_timeout=self.timeout_s) as port:
            port.write(escpos_status.QUERY)
            port.flush()
            found = self._ready(port.read(2))
            written = port.write(job)
            port.flush()
        if written != len(job):
            raise PrinterError(f"printer {self.describe()}: {written} of {len(job)} bytes written")
        return found

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


def _recv_up_to(sock: socket.socket, n: int, wait_s: float) -> bytes:
    """Up to n bytes within wait_s: what a printer answered to a status query."""
    sock.settimeout(wait_s)
    got = b""
    try:
        while len(got) < n and (chunk := sock.recv(n - len(got))):
            got += chunk
    except TimeoutError:
        pass
    return got
