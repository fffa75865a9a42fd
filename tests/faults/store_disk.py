"""Real store faults for the fault scenarios: a small tmpfs that fills up, and a second process
that holds SQLite's write lock.

Mounting a tmpfs needs root (CAP_SYS_ADMIN), which the project's machines and CI have; where it
is refused the scenario fails with the reason, it is not skipped.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHUNK = 64 * 1024


class SmallDisk:
    """A tmpfs of `size_mb` at `path`; `fill` takes every free byte, `free` gives them back."""

    def __init__(self, path: Path, size_mb: int) -> None:
        self.path = path
        self.ballast = path / "ballast.bin"
        path.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700", "intake-test", str(path)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"cannot mount a test tmpfs (needs root): {done.stderr.strip()}")

    def fill(self) -> int:
        """Write until the filesystem refuses (ENOSPC); returns the bytes taken."""
        taken = 0
        with open(self.ballast, "ab", buffering=0) as out:
            try:
                while True:
                    taken += out.write(b"\0" * CHUNK)
            except OSError:
                pass
            try:   # the last partial page, byte by byte would be slow: a smaller chunk is enough
                while True:
                    taken += out.write(b"\0" * 512)
            except OSError:
                pass
        return taken

    def free(self) -> None:
        self.ballast.unlink(missing_ok=True)

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], capture_output=True, text=True)


_HOLDER = r"""
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
for line in sys.stdin:
    if line.strip() == "lock":
        conn.execute("BEGIN EXCLUSIVE")
    elif line.strip() == "release":
        conn.execute("ROLLBACK")
    print(line.strip(), flush=True)
"""


class LockHolder:
    """Another process on the same database file that takes and holds the write lock on demand
    (`BEGIN EXCLUSIVE`), as a backup tool or an operator's sqlite3 shell would."""

    def __init__(self, db: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(db)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def _say(self, what: str) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(what + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        assert answer == what, f"lock holder answered {answer!r} to {what!r}"

    def lock(self) -> None:
        self._say("lock")

    def release(self) -> None:
        self._say("release")

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=10)
