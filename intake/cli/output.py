"""The CLI contract in one place (DESIGN.md): exit 0 on success, 1 on failure, 2 on bad usage
or input; with `--json`, one JSON object per line on stdout; otherwise human text and Rich
tables on stdout. Errors, progress and notes go to stderr, so stdout stays parseable.

Every command of `intake` writes through these helpers rather than its own print or exit."""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NoReturn

import typer
from rich.console import Console

OK, FAILED, USAGE = 0, 1, 2

out = Console()               # human output: lines and tables
err = Console(stderr=True)    # progress bars and live views that must not mix into stdout

JSON = typer.Option(False, "--json", help="One JSON object per line on stdout.")


def emit(obj: Mapping[str, Any]) -> None:
    """One JSON object as one line on stdout (UTF-8 text kept as is; dates and paths as text)."""
    print(json.dumps(obj, ensure_ascii=False, default=str), flush=True)


def line(text: str) -> None:
    """A plain line on stdout, no markup: human text, or JSON a model serialised itself."""
    print(text, flush=True)


def write(text: str) -> None:
    """Text on stdout exactly as given (no newline added): a stream such as CSV, chunk by chunk."""
    import sys

    sys.stdout.write(text)
    sys.stdout.flush()


def show(renderable: Any, **options: Any) -> None:
    """Human output on stdout: a Rich table or a line with markup."""
    out.print(renderable, **options)


def note(message: str) -> None:
    """Progress or a remark for the operator on stderr, plain (no markup, no wrapping)."""
    typer.echo(message, err=True)


def error(message: str) -> None:
    """A problem with one item that does not end the command (it decides the exit code later)."""
    typer.echo(f"error: {message}", err=True)


def fail(message: str, code: int = USAGE) -> NoReturn:
    """End the command: the reason on stderr, then exit `code` (2 bad input, 1 failure)."""
    error(message)
    raise typer.Exit(code)


def finish(ok: bool) -> NoReturn:
    """End a command whose result is a yes or no: exit 0 when it holds, else 1."""
    raise typer.Exit(OK if ok else FAILED)


def exit_with(code: int) -> NoReturn:
    """End with a code a runner returned (the demo, the gate)."""
    raise typer.Exit(code)
