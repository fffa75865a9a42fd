"""`intake users add|passwd|disable|enable|list`: staff accounts for the review pages.

Passwords are read from the terminal (hidden, asked twice) or, for scripts, one line from
standard input with --password-stdin; never from the command line, where `ps` would show them.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn, Optional

import typer

from intake.auth.passwords import WeakPassword
from intake.auth.tables import ROLES
from intake.auth.users import UserError, Users
from intake.cli.output import JSON, emit, fail, line, note

app = typer.Typer(no_args_is_help=True, add_completion=False)

DbOption = typer.Option(None, "--db", help="SQLAlchemy URL of the gate's database.")
ConfigOption = typer.Option(None, "--config", help="Take the database URL from this gate.toml (default: $INTAKE_CONFIG).")


def _users(db: Optional[str], config: Optional[Path]) -> Users:
    from intake.cli.db import resolve
    from intake.store.db import open_engine

    url, _ = resolve(db, config)
    return Users(open_engine(url))


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def _fail(exc: Exception) -> NoReturn:
    fail(str(exc))


@app.command("add")
def add(username: str, role: str = typer.Option("reviewer", help=f"One of: {', '.join(ROLES)}."),
        password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin."),
        db: Optional[str] = DbOption, config: Optional[Path] = ConfigOption) -> None:
    """Add a user."""
    users = _users(db, config)
    try:
        info = users.add(username, _password(password_stdin), role)
    except (UserError, WeakPassword) as exc:
        _fail(exc)
    note(f"added {info.username} ({info.role})")


@app.command("passwd")
def passwd(username: str,
           password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin."),
           db: Optional[str] = DbOption, config: Optional[Path] = ConfigOption) -> None:
    """Set a user's password (ends the user's open sessions)."""
    users = _users(db, config)
    try:
        users.set_password(username, _password(password_stdin))
    except (UserError, WeakPassword) as exc:
        _fail(exc)
    note("password changed; open sessions ended")


@app.command("disable")
def disable(username: str, db: Optional[str] = DbOption, config: Optional[Path] = ConfigOption) -> None:
    """Disable a user (ends the user's open sessions; reviews they made keep their name)."""
    try:
        _users(db, config).set_disabled(username, True)
    except UserError as exc:
        _fail(exc)
    note(f"disabled {username}")


@app.command("enable")
def enable(username: str, db: Optional[str] = DbOption, config: Optional[Path] = ConfigOption) -> None:
    """Enable a disabled user again."""
    try:
        _users(db, config).set_disabled(username, False)
    except UserError as exc:
        _fail(exc)
    note(f"enabled {username}")


@app.command("list")
def list_users(json_out: bool = JSON,
               db: Optional[str] = DbOption, config: Optional[Path] = ConfigOption) -> None:
    """List users."""
    for u in _users(db, config).list():
        if json_out:
            emit({"username": u.username, "role": u.role, "disabled": u.disabled,
                  "created_at": u.created_at.isoformat()})
        else:
            line(f"{u.username:<24} {u.role:<9} {'disabled' if u.disabled else 'active'}")
