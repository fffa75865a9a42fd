"""`intake run`: the gate on real hardware until SIGINT/SIGTERM."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

from starlette.types import ASGIApp

from hardware.clock import MonotonicClock
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
        gate = await open_gate(cfg, MonotonicClock(), stack)
        url = await start_web(web_app(gate), cfg.site.web_host, cfg.site.web_port, stack,
                              cfg.site.forwarded_allow_ips)
        log.info("gate running; kiosk at %s/kiosk/%s", url, cfg.lanes[0].id)
        tasks = [run_lanes(gate, stop)]
        if cfg.site.central_url:
            tasks.append(_sync(cfg, gate, stop))
        if cfg.alarms.rules:
            from intake.alarms.service import run_alarms

            tasks.append(run_alarms(gate, stop))   # observes the gate; never awaited by a lane
        await asyncio.gather(*tasks)
    return 0


def web_app(gate: Gate) -> ASGIApp:
    """The web app with the gate's own endpoints (plate-camera webhook) added."""
    from intake.ident.webhook import plate_router
    from intake.web.app import create_app
    from intake.web.kiosk_keypad import OrderCodeHooks

    from intake.store.integrity import REFUSAL, state_for

    integrity = state_for(gate.records.engine)
    app = create_app(gate.hub, health=lambda: _health(gate), engine=gate.records.engine,
                     data_dir=gate.cfg.site.data_dir, kiosk_display_token=gate.cfg.site.kiosk_display_token,
                     hold=lambda: None if integrity.ok else REFUSAL, ticket_tz=gate.cfg.tickets.timezone,
                     site_tz=gate.cfg.sampling.timezone, degraded=gate.problems,
                     order_code=OrderCodeHooks(gate.records.plate_for_order_code,
                                               lambda lane, plate: identify_on_lane(gate, lane, plate)))
    _verify_in_background(app, gate)
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
    if ident.erp_token:
        from intake.web.settlement import settlement_router

        app.include_router(settlement_router(gate.records.engine, ident.erp_token, gate.cfg.site.name,
                                             gate.cfg.tickets.timezone))
    return app


VERIFY_INTERVAL_S = 3600.0   # wall seconds between whole-chain verifies in the background


def _health(gate: Gate) -> dict[str, object]:
    """The gate's own report with the chain's: a chain that does not verify is "down"."""
    from intake.store.integrity import state_for
    from intake.web.health import worst

    from intake.alarms.service import alarms_health

    report = {**gate.health(), **alarms_health(gate.cfg, gate.records.engine)}
    integrity = state_for(gate.records.engine).health()
    status = worst(str(report.pop("status", "ok")), str(integrity.pop("status", "ok")))
    return {**report, **integrity, "status": status}


def _verify_in_background(app: Any, gate: Gate) -> None:
    """While the web app runs: the whole chain verified now and every VERIFY_INTERVAL_S."""
    from intake.store.checkpoint import checkpoint_path
    from intake.store.integrity import run_periodic
    from intake.store.keys import load_key

    site = gate.cfg.site
    key, path = load_key(site.audit_key), checkpoint_path(site.database, site.data_dir)
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(scope_app: Any) -> AsyncIterator[Any]:
        task = asyncio.create_task(run_periodic(gate.records.engine, key, path, VERIFY_INTERVAL_S),
                                   name="chain-verify")
        try:
            async with inner(scope_app) as state:
                yield state
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app.router.lifespan_context = lifespan


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
