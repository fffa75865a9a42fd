"""`intake audit verify|head` on a real file: exit 0 only when everything verifies, 1 on any
failure (tampering, rollback), 2 on bad input; --json is one object on one line."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

from tests.intake.store.conftest import KEY


def audit(*args: str) -> subprocess.CompletedProcess:
    env = {"INTAKE_TEST_KEY": KEY.decode(), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "intake", "audit", *args, "--key", "env:INTAKE_TEST_KEY"],
                          capture_output=True, text=True, timeout=60, env=env)


def test_verify_head_tamper_and_rollback(filled, db_path):
    url = f"sqlite:///{db_path}"
    ok = audit("verify", "--db", url, "--json")
    assert ok.returncode == 0, ok.stderr
    report = json.loads(ok.stdout)
    assert report["ok"] and report["records"] == 40 and report["problems"] == []
    head = audit("head", "--db", url, "--json")
    assert head.returncode == 0 and json.loads(head.stdout)["seq"] == 40
    exported = json.loads(head.stdout)["head"]
    assert audit("verify", "--db", url, "--head", exported).returncode == 0

    con = sqlite3.connect(db_path)
    with con:
        con.execute("UPDATE frame SET sha256 = 'ff' || substr(sha256, 3) WHERE id = 4")
    con.close()
    bad = audit("verify", "--db", url, "--json")
    assert bad.returncode == 1
    first = json.loads(bad.stdout)["first_bad"]
    assert (first["kind"], first["table"], first["pk"]) == ("mismatch", "frame", "4")
    assert audit("head", "--db", url).returncode == 1          # no head exported from a bad chain
    human = audit("verify", "--db", url)
    assert human.returncode == 1 and "does NOT verify" in human.stdout


def test_bad_input_exits_2(filled, db_path):
    url = f"sqlite:///{db_path}"
    assert audit("verify", "--db", url, "--head", "not-a-head").returncode == 2
    missing_key = subprocess.run([sys.executable, "-m", "intake", "audit", "verify", "--db", url, "--key", "env:NOPE_UNSET"],
                                 capture_output=True, text=True, timeout=60)
    assert missing_key.returncode == 2 and "NOPE_UNSET" in missing_key.stderr


def test_verify_on_a_missing_or_empty_database_is_a_clear_error_and_creates_nothing(tmp_path):
    missing = tmp_path / "nowhere" / "gate.db"
    r = audit("verify", "--db", f"sqlite:///{missing}")
    assert r.returncode == 2 and "no database" in r.stderr and "Traceback" not in r.stderr
    assert not missing.exists() and not missing.parent.exists()
    empty = tmp_path / "empty.db"
    empty.touch()
    r = audit("verify", "--db", f"sqlite:///{empty}", "--json")
    assert r.returncode == 2 and "not a gate database" in r.stderr and "Traceback" not in r.stderr
    assert empty.stat().st_size == 0 and not (tmp_path / "empty.db-wal").exists()
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.close()
    r = audit("verify", "--db", f"sqlite:///{other}")
    assert r.returncode == 2 and "not a gate database" in r.stderr and "Traceback" not in r.stderr
