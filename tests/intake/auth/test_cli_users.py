"""`intake users ...` as a subprocess against a real SQLite file."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PW = "correct horse battery"


def intake(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "intake", "users", *args], input=stdin, capture_output=True,
                          text=True, timeout=60)


def site_db(tmp_path: Path) -> list[str]:
    """The gate's database, made as `intake init` or `intake db upgrade` make it: the users
    commands open only a database that exists."""
    from intake.store.db import open_engine

    url = f"sqlite:///{tmp_path / 'gate.db'}"
    open_engine(url).dispose()
    return ["--db", url]


def test_users_commands_refuse_a_database_that_does_not_exist(tmp_path: Path) -> None:
    done = intake("list", "--db", f"sqlite:///{tmp_path / 'typo.db'}")
    assert done.returncode == 2 and "no database at" in done.stderr and not (tmp_path / "typo.db").exists()
    assert intake("list").returncode == 2   # no site named: no guess in the current folder


def test_add_list_passwd_disable(tmp_path: Path) -> None:
    db = site_db(tmp_path)
    assert intake("add", "Ann", "--role", "admin", "--password-stdin", *db, stdin=PW + "\n").returncode == 0
    assert intake("add", "bob", "--password-stdin", *db, stdin=PW + "\n").returncode == 0
    listed = [json.loads(line) for line in intake("list", "--json", *db).stdout.splitlines()]
    assert [(u["username"], u["role"], u["disabled"]) for u in listed] == [("ann", "admin", False),
                                                                           ("bob", "reviewer", False)]
    assert intake("passwd", "bob", "--password-stdin", *db, stdin="another long one\n").returncode == 0
    assert intake("disable", "bob", *db).returncode == 0
    listed = [json.loads(line) for line in intake("list", "--json", *db).stdout.splitlines()]
    assert listed[1]["disabled"] is True

    from intake.auth.users import Users
    from intake.store.db import open_engine

    users = Users(open_engine(db[1]))
    assert users.authenticate("ann", PW) is not None
    users.set_disabled("bob", False)
    assert users.authenticate("bob", "another long one") is not None and users.authenticate("bob", PW) is None


def test_bad_input_exits_2_and_names_the_problem(tmp_path: Path) -> None:
    db = site_db(tmp_path)
    weak = intake("add", "ann", "--password-stdin", *db, stdin="short\n")
    assert weak.returncode == 2 and "at least 10" in weak.stderr
    role = intake("add", "ann", "--role", "root", "--password-stdin", *db, stdin=PW + "\n")
    assert role.returncode == 2 and "role" in role.stderr
    missing = intake("disable", "nobody", *db)
    assert missing.returncode == 2 and "no user" in missing.stderr
