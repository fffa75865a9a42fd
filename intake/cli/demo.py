"""`intake demo`: the gate on the simulated plant (`intake run`, real hardware: intake/cli/run.py)."""
from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Optional

import typer

from intake.cli.output import OK, exit_with, fail, note
from intake.config import ConfigError


def demo(
    trucks: Optional[int] = typer.Option(None, min=1, help="Exit after N trucks (default: run until Ctrl-C)."),
    speed: float = typer.Option(1.0, min=0.1, max=500, help="Simulated time runs X times faster."),
    db: Optional[str] = typer.Option(None, help="SQLAlchemy URL, e.g. sqlite:///var/demo.db"),
    port: int = typer.Option(8080, min=0, max=65535, help="Web port for the kiosk (0: any free port)."),
    no_web: bool = typer.Option(False, "--no-web", help="Do not serve the kiosk pages."),
    json_out: bool = typer.Option(False, "--json", help="One JSON object per finished truck on stdout."),
    sampling_rate: Optional[float] = typer.Option(None, min=0, max=1, help="Override the sampled share."),
    config: Path = typer.Option(None, help="Demo configuration (default: the shipped demo.toml)."),
    protocol: str = typer.Option("toledo", help="Protocol the simulated indicator speaks (any of `intake scale`)."),
    command: bool = typer.Option(False, "--command", help="Indicator in command mode: the gate polls it."),
    lanes: int = typer.Option(1, min=1, max=8, help="Weighbridge decks on the one gate; trucks are shared among them."),
    attendant_hold: Optional[float] = typer.Option(None, min=0, max=3600, help="A REVIEW load waits this many "
                                                   "(simulated) seconds for the remote attendant (/console)."),
    hours: Optional[float] = typer.Option(None, min=0.01, help="Without --trucks: stop after this many hours of simulated time."),
) -> None:
    """Run the gate on the simulated plant: indicator, sampler PLC, I/O module, camera, trucks."""
    from intake.demo.live import LiveView
    from intake.demo.runner import DEMO_CONFIG, DemoOptions, print_json, run_demo

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    opts = DemoOptions(trucks=trucks, speed=speed, db=db, port=port, web=not no_web,
                       config=config or DEMO_CONFIG, sampling_rate=sampling_rate, protocol=protocol,
                       command=command, lanes=lanes, attendant_hold_s=attendant_hold, hours=hours)
    try:
        if json_out:
            code = asyncio.run(run_demo(opts, print_json))
        else:
            code = asyncio.run(_with_live_view(opts, LiveView()))
    except ConfigError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        note("stopped")
        code = OK
    exit_with(code)


async def _with_live_view(opts, view) -> int:
    from intake.demo.runner import run_demo

    stop = asyncio.Event()

    def attach(gate, url):
        view.gate, view.url = gate, url
        if url:
            note(f"kiosk: {url}/kiosk/1   health: {url}/health")

    painter = asyncio.create_task(view.run(stop))
    try:
        return await run_demo(opts, view.add, on_gate=attach)
    finally:
        stop.set()
        await painter

