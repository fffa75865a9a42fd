"""`intake run`: the gate on real hardware until SIGINT/SIGTERM."""
from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import AsyncExitStack

from starlette.types import ASGIApp

from hardware.sim.clock import SimClock
from intake.config import GateConfig
from intake.gate import Gate, identify_on_lane, open_gate, run_lanes

log = logging.getLogger(__name__)


async def run_gate(cfg: GateConfig) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with AsyncExitStack() as stack:
        gate = await open_gate(cfg, SimClock(1.0), stack)
        url = await start_web(web_app(gate), cfg.site.web_host, cfg.site.web_port, stack,
                              cfg.site.forwarded_allow_ips)
        log.info("gate running; kiosk at %s/kiosk/%s", url, cfg.lanes[0].id)
        tasks = [run_lanes(gate, stop)]
        if cfg.site.central_url:
            tasks.append(_sync(cfg, gate, stop))
        await asyncio.gather(*tasks)
    return 0


def web_app(gate: Gate) -> ASGIApp:
    """The web app with the gate's own endpoints (plate-camera webhook) added."""
    from intake.ident.webhook import plate_router
    from intake.web.app import create_app

    app = create_app(gate.hub, health=gate.health, engine=gate.records.engine, data_dir=gate.cfg.site.data_dir,
                     kiosk_display_token=gate.cfg.site.kiosk_display_token)
    from intake.metrics import metrics_router

    app.include_router(metrics_router(gate))
    ident = gate.cfg.identification
    if ident.webhook_token:
        from intake.ident.webhook import order_code_router

        app.include_router(plate_router(ident.webhook_token, ident.min_plate_confidence,
                                        lambda lane, plate: identify_on_lane(gate, lane, plate)))
        app.include_router(order_code_router(ident.webhook_token, gate.records.plate_for_order_code,
                                             lambda lane, plate: identify_on_lane(gate, lane, plate)))
    if ident.lab_token:
        from intake.lab.api import lab_router

        app.include_router(lab_router(gate.records.engine, ident.lab_token))
    return app


async def start_web(app: ASGIApp, host: str, port: int, stack: AsyncExitStack,
                    forwarded_allow_ips: list[str] | None = None) -> str:
    """Serve the web app inside the gate's own event loop; `stack` stops it. Returns the URL."""
    from intake.web.server import WebServer

    server = WebServer(app, host, port, forwarded_allow_ips)
    started = asyncio.Event()
    task = asyncio.create_task(server.serve(started), name="web")

    async def stop() -> None:
        server.request_stop()
        await asyncio.wait_for(task, timeout=10)

    await asyncio.wait_for(started.wait(), timeout=10)
    stack.push_async_callback(stop)
    return server.url


async def _sync(cfg: GateConfig, gate: Gate, stop: asyncio.Event) -> None:
    """Store and forward to the central database; never stops the gate when the link is down."""
    from intake.store.keys import load_key
    from intake.sync.client import LinkStatus, run_background

    gate.link = LinkStatus()   # /health shows the link and the outbox backlog
    await run_background(gate.records.engine, cfg.site.central_url, cfg.site.name,
                         load_key(cfg.site.audit_key), stop, interval_s=cfg.site.sync_interval_s,
                         link=gate.link)
