"""`intake users add|passwd|disable|enable|list`: staff accounts for the review pages.

Passwords are read from the terminal (hidden, asked twice) or, for scripts, one line from
standard input with --password-stdin; never from the command line, where `ps` would show them.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from intake.auth.passwords import WeakPassword
from intake.auth.tables import ROLES
from intake.auth.users import UserError, Users

app = typer.Typer(no_args_is_help=True, add_completion=False)
err = Console(stderr=True)

DbOption = typer.Option(None, "--db", help="SQLAlchemy URL of the gate's database.")
ConfigOption = typer.Option(None, "--config", help="Take the database URL from this gate.toml.")


def _users(db: Optional[str], config: Optional[Path]) -> Users:
    from intake.config import ConfigError, SiteConfig, load_config
    from intake.store.db import open_engine

    url = db
    if url is None and config is not None:
        try:
            url = load_config(config).site.database
        except ConfigError as exc:
            err.print(f"[red]{exc}")
            raise typer.Exit(2)
    return Users(open_engine(url or SiteConfig(name="-").database))


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def _fail(exc: Exception) -> None:
    err.print(f"[red]{exc}")
    raise typer.Exit(2)


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
        return
    err.print(f"added {info.username} ({info.role})")


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
    err.print("password changed; open sessions ended")


@app.command("disable")
def disable(username: str, db: Optional[str] = DbOption, config: Optional[Path] = ConfigOption) -> None:
    """Disable a user (ends the user's open sessions; reviews they made keep their name)."""
    try:
        _users(db, config).set_disabled(username, True)
    except UserError as exc:
        _fail(exc)
    err.print(f"disabled {username}")


@app.command("enable")
def enable(username: str, db: Optional[str] = DbOption, config: Optional[Path] = ConfigOption) -> None:
    """Enable a disabled user again."""
    try:
        _users(db, config).set_disabled(username, False)
    except UserError as exc:
        _fail(exc)
    err.print(f"enabled {username}")


@app.command("list")
def list_users(json_out: bool = typer.Option(False, "--json", help="One JSON object per user."),
               db: Optional[str] = DbOption, config: Optional[Path] = ConfigOption) -> None:
    """List users."""
    for u in _users(db, config).list():
        if json_out:
            print(json.dumps({"username": u.username, "role": u.role, "disabled": u.disabled,
                              "created_at": u.created_at.isoformat()}))
        else:
            print(f"{u.username:<24} {u.role:<9} {'disabled' if u.disabled else 'active'}")
