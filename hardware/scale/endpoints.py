"""Where a simulated indicator writes: a real pseudo-terminal or a raw TCP "device server".

Writes never block (a full buffer drops and counts); ``read`` returns what the host sent
(polls of command protocols). On a pty the host's line settings are visible to us through
the shared termios state, so the simulator can behave like a real UART on a wrong setting.
"""
from __future__ import annotations

import errno
import logging
import os
import socket
import termios
import tty
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

_BAUDS = {getattr(termios, f"B{b}"): b for b in (
    50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600,
    115200, 230400) if hasattr(termios, f"B{b}")}


@dataclass(frozen=True)
class HostLine:
    """The line settings the host has set on the port: baud (None if unknown), 7 or 8 data
    bits, parity N/E/O."""

    baud: int | None
    bytesize: int
    parity: str


class Endpoint(Protocol):
    port: str

    def write(self, data: bytes) -> int:
        """Write without blocking; return the number of bytes dropped."""
        ...

    def read(self) -> bytes:
        """What the host sent since the last call (never blocks)."""
        ...

    def host_line(self) -> HostLine | None:
        """The host's line settings, where the transport has any (pty), else None."""
        ...

    def close(self) -> None: ...


class PtyEndpoint:
    """Writes to the pty master; the gate opens the slave path."""

    def __init__(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no CR->LF, all 8 bits pass unchanged
        os.set_blocking(self._master, False)
        self.port = os.ttyname(self._slave)  # we keep the slave open so the pty survives

    def write(self, data: bytes) -> int:
        try:
            return len(data) - os.write(self._master, data)
        except BlockingIOError:
            return len(data)  # nobody reads and the buffer is full
        except OSError as exc:
            if exc.errno != errno.EIO:
                log.warning("pty write failed: %s", exc)
            return len(data)

    def read(self) -> bytes:
        try:
            return os.read(self._master, 4096)
        except (BlockingIOError, OSError):
            return b""

    def host_line(self) -> HostLine | None:
        try:
            _i, _o, cflag, _l, _ispeed, ospeed, _cc = termios.tcgetattr(self._slave)
        except (termios.error, OSError):
            return None
        bytesize = 7 if cflag & termios.CSIZE == termios.CS7 else 8
        parity = "N" if not cflag & termios.PARENB else "O" if cflag & termios.PARODD else "E"
        return HostLine(_BAUDS.get(ospeed), bytesize, parity)

    def close(self) -> None:
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass


class TcpEndpoint:
    """A raw TCP "device server": every connected client receives the stream."""

    def __init__(self, host: str, port: int) -> None:
        self._server = socket.create_server((host, port))  # SO_REUSEADDR: restart on same port
        self._server.setblocking(False)
        self.port = f"socket://{host}:{self._server.getsockname()[1]}"
        self._clients: list[socket.socket] = []

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except (BlockingIOError, OSError):
                return
            client.setblocking(False)
            self._clients.append(client)

    def write(self, data: bytes) -> int:
        self._accept()
        if not self._clients:
            return len(data)
        dropped = 0
        for client in list(self._clients):
            try:
                dropped = max(dropped, len(data) - client.send(data))
            except BlockingIOError:
                dropped = len(data)
            except OSError:  # peer went away
                self._drop(client)
        return dropped

    def read(self) -> bytes:
        self._accept()
        out = bytearray()
        for client in list(self._clients):
            try:
                data = client.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                self._drop(client)
            out += data
        return bytes(out)

    def host_line(self) -> HostLine | None:
        return None  # a raw TCP device server has no line settings

    def _drop(self, client: socket.socket) -> None:
        client.close()
        self._clients.remove(client)

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()
        self._server.close()
