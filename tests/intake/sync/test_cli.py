"""`intake sync` as an operator runs it: register, catch up with --json, the agreed exit codes."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.intake.sync.conftest import KEY, SITE
from tests.intake.sync.test_sync import counts, verified


def intake(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SYNC_TEST_KEY": KEY.decode()}
    return subprocess.run([sys.executable, "-m", "intake.cli.main", "sync", *args, "--key", "env:SYNC_TEST_KEY"],
                          capture_output=True, text=True, env=env, timeout=120)


def test_register_then_sync_once_as_json(gate, central_url):
    from sqlalchemy import create_engine

    gate.write(40)
    first = intake("register", "--central", central_url, "--site", SITE, "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"site": SITE, "registered": True}
    again = intake("register", "--central", central_url, "--site", SITE, "--json")
    assert json.loads(again.stdout) == {"site": SITE, "registered": False}

    done = intake("--central", central_url, "--db", gate.url, "--site", SITE, "--once", "--batch", "50", "--json")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["event"] for line in lines] == ["batch"] * 4 + ["caught_up"]
    assert lines[-1] == {"event": "caught_up", "site": SITE, "high_seq": 188, "local_seq": 188, "pending": 0,
                         "retries": 0}
    central = create_engine(central_url)
    assert counts(central) == (188, 1, 188)
    verified(central, 188)
    central.dispose()


def test_exit_codes(gate, central_url):
    gate.write(2)
    unknown = intake("--central", central_url, "--db", gate.url, "--site", "nobody", "--once", "--json")
    assert unknown.returncode == 1
    assert json.loads(unknown.stdout.splitlines()[-1])["kind"] == "not_registered"
    assert intake("--db", gate.url, "--once").returncode == 2                        # no --central
    assert intake("--central", gate.url, "--db", gate.url, "--once").returncode == 2  # not PostgreSQL
    assert intake("--central", "no-such-scheme://x", "--db", gate.url, "--once").returncode == 2
