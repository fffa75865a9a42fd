"""A technician for the CLI flows: runs `intake scale ...` as a real process, reads its step
prompts on stderr and answers them by placing the load on a simulated device (and pressing
Enter when the flow is interactive)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from decimal import Decimal
from typing import Callable

import pytest

KEY = "metrology-test-audit-key-0123456789"
ADMIN, REVIEWER, PASSWORD = "meta", "rita", "calibrate-with-care-42"
PROMPT = re.compile(r"^step (\d+)/(\d+): (\S+)(?: (\d+))?: .*: load (\S+) kg$")
CHANGE = re.compile(r"^change point .*: add (\S+) kg \(added (\S+) kg\); press Enter")


class Technician:
    def __init__(self, args: list[str], place: Callable[[str, Decimal], None], *,
                 enter: bool = False, answer: str | None = None,
                 password: str | None = PASSWORD,
                 add: Callable[[Decimal], None] | None = None) -> None:
        env = dict(os.environ, METRO_KEY=KEY)
        env.pop("INTAKE_PASSWORD", None)
        if password is not None:
            env["INTAKE_PASSWORD"] = password
        self.proc = subprocess.Popen([sys.executable, "-m", "intake", *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.place, self.enter, self.answer = place, enter, answer
        self.add = add  # change point: puts the total of small weights on, then Enter
        self.added: list[Decimal] = []
        self.stderr: list[str] = []
        self.stdout: list[str] = []
        self.steps: list[tuple[str, Decimal]] = []
        self._threads = [threading.Thread(target=self._listen, daemon=True),
                         threading.Thread(target=self._collect, daemon=True)]
        for thread in self._threads:
            thread.start()

    def _collect(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.stdout.append(line)

    def _listen(self) -> None:
        assert self.proc.stderr is not None and self.proc.stdin is not None
        for line in self.proc.stderr:
            self.stderr.append(line)
            found = PROMPT.match(line.strip())
            more = CHANGE.match(line.strip())
            if more and self.add is not None:
                self.added.append(Decimal(more.group(2)))
                self.add(Decimal(more.group(2)))
                self._say("\n")
            elif found:
                kind, load = found.group(3), Decimal(found.group(5))
                self.steps.append((kind, load))
                self.place(kind, load)
            elif "press Enter" in line and self.enter:
                self._say("\n")
            elif "type yes" in line and self.answer is not None:
                self._say(self.answer + "\n")

    def _say(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        try:
            self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        for thread in self._threads:
            thread.join(5)
        return self.proc.returncode, "".join(self.stdout), "".join(self.stderr)


@pytest.fixture
def db_url(tmp_path) -> str:
    """The gate's database, made as `intake db upgrade` makes it (commands open only one that exists)."""
    from intake.store.db import open_engine

    url = f"sqlite:///{tmp_path / 'gate.db'}"
    open_engine(url).dispose()
    return url


@pytest.fixture
def staff_db(db_url) -> str:
    """The gate database with an admin and a reviewer account, both with PASSWORD."""
    from intake.auth.users import Users
    from intake.store.db import open_engine

    users = Users(open_engine(db_url, KEY.encode()))
    users.add(ADMIN, PASSWORD, "admin")
    users.add(REVIEWER, PASSWORD, "reviewer")
    return db_url
