"""`intake run --config gate.toml`: the gate on real hardware until SIGINT/SIGTERM."""
from __future__ import annotations

from pathlib import Path

import typer

from intake.cli.output import exit_with, fail
from intake.config import ConfigError, load_config


def run(config: Path = typer.Option(..., exists=False, help="The gate's TOML configuration.")) -> None:
    """Run the gate on real hardware."""
    import asyncio

    try:
        cfg = load_config(config)
    except ConfigError as exc:
        fail(str(exc))
    from intake.runtime import run_gate

    exit_with(asyncio.run(run_gate(cfg)))
