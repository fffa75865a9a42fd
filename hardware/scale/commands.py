"""The simulated indicator's side of a command protocol: host bytes split into commands."""
from __future__ import annotations


class CommandLines:
    """Bytes from the host, split into commands at `end`; an unfinished command waits for more.
    At most `keep` bytes of it are kept, so a line of noise cannot grow the buffer."""

    def __init__(self, end: bytes, keep: int) -> None:
        self._end, self._keep = end, keep
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        commands = []
        while (i := self._buf.find(self._end)) >= 0:
            commands.append(bytes(self._buf[:i]))
            del self._buf[: i + len(self._end)]
        del self._buf[: -self._keep]
        return commands
