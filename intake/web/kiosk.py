"""Driver kiosk: one full-screen, read-only page per lane, kept live over Server-Sent Events.

Audience: the truck driver on the deck. No login, no links; two things to touch: the call for the
remote attendant (it posts to /kiosk/<lane>/call, intake.web.calls, and decides nothing) and the
order-code keypad, offered while the lane waits for a truck when the gate wires it. The server
renders the current state (so the page is right before the script runs); kiosk.js then applies
every later snapshot from /kiosk/<lane>/events using the same i18n table.
"""
from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from intake.ident.ordercodes import ALPHABET
from intake.lane.status import LaneStatus, LaneStep, StatusHub
from intake.web import i18n
from intake.web.events import LaneEventStream, StreamRegistry


@dataclass(frozen=True)
class KioskView:
    """What the template shows, already in words; derived only from a LaneStatus."""

    lane: str
    step: str
    step_label: i18n.Text
    instruction: i18n.Text
    lane_label: i18n.Text
    weight: str
    stability: str  # "stable" | "moving" | "unknown": a CSS class and an i18n label key
    plate: str
    material: i18n.Text | None
    verdict: str | None
    verdict_label: i18n.Text | None
    reasons: list[i18n.Text]
    not_sampled: bool                     # no verdict, and a reason why not (the model unavailable)
    fault: str | None
    points: i18n.Text | None              # "core 3 of 6" while the probe cycle runs
    points_done: int | None
    points_total: int | None
    receipt: list[tuple[str, i18n.Text, str]]   # (key, label, value) once weighed out
    ticket: str | None
    called: bool = False                  # the driver's call for the attendant is raised


def points_text(status: LaneStatus) -> i18n.Text | None:
    if status.probe not in ("confirmed", "running") or status.points_total is None:
        return None
    zh, en = i18n.LABELS["points"]
    done, total = status.points_done or 0, status.points_total
    return zh.format(done=done, total=total), en.format(done=done, total=total)


def receipt_rows(status: LaneStatus) -> list[tuple[str, i18n.Text, str]]:
    """Gross, tare (or exit weight for a load sent back) and net, as the ticket states them."""
    r = status.receipt
    if r is None:
        return []
    second = ("tare", r.tare_kg) if r.received else ("exit", r.exit_kg)
    rows = [("gross", r.gross_kg), second, ("net", r.net_kg)]
    return [(key, i18n.LABELS[key], i18n.format_weight(kg) + " kg") for key, kg in rows]


def kiosk_view(status: LaneStatus) -> KioskView:
    zh, en = i18n.LABELS["lane"]
    if status.weight_kg is None or status.weight_stable is None:
        stability = "unknown"
    else:
        stability = "stable" if status.weight_stable else "moving"
    return KioskView(
        lane=status.lane,
        step=str(status.step),
        step_label=i18n.STEP_LABELS[status.step],
        instruction=i18n.instruction(status),
        lane_label=(zh.format(lane=status.lane), en.format(lane=status.lane)),
        weight=i18n.format_weight(status.weight_kg),
        stability=stability,
        plate=status.plate or i18n.UNKNOWN,
        material=i18n.material(status.material, status.material_name),
        verdict=status.verdict,
        verdict_label=i18n.VERDICT_LABELS[status.verdict] if status.verdict else None,
        reasons=[i18n.reason(code) for code in status.reasons],
        not_sampled=status.verdict is None and any(c.startswith("not_sampled:") for c in status.reasons),
        fault=status.fault,
        points=points_text(status),
        points_done=status.points_done,
        points_total=status.points_total,
        receipt=receipt_rows(status),
        ticket=str(status.receipt.ticket) if status.receipt and status.receipt.ticket is not None else None,
        called=status.called,
    )


def kiosk_router(
    hub: StatusHub, templates: Jinja2Templates, streams: StreamRegistry, *, heartbeat_s: float,
    display_token: str = "",
    hold: Callable[[], str | None] = lambda: None,
    keypad: bool = False,
) -> APIRouter:
    """hold(): a gate-wide reason no lane takes trucks (a fault code), or None. While it holds,
    every lane shows out of service with that reason, whatever its own state. keypad: the page
    offers the order-code keypad while the lane waits for a truck (intake.web.kiosk_keypad)."""
    # Handlers are async so they touch the hub on the event loop thread, never a worker thread.
    router = APIRouter(tags=["kiosk"])

    def shown(status: LaneStatus) -> LaneStatus:
        reason = hold()
        if reason is None:
            return status
        return status.model_copy(update={"step": LaneStep.OUT_OF_SERVICE, "fault": reason, "verdict": None})

    def current(lane: str) -> LaneStatus:
        # Only lanes the gate has published exist; refusing others also keeps arbitrary
        # names out of the hub's subscriber table.
        status = hub.latest(lane)
        if status is None:
            raise HTTPException(status_code=404, detail=f"unknown lane {lane!r}")
        return status

    @router.get("/kiosk/{lane}", response_class=HTMLResponse)
    async def kiosk_page(request: Request, lane: str) -> Response:
        view = kiosk_view(shown(current(lane)))
        context = {
            "view": view,
            "labels": i18n.LABELS,
            "unknown": i18n.UNKNOWN,
            "table": i18n.client_table(),
            "heartbeat_ms": int(heartbeat_s * 1000),
            "keypad": keypad,
            "keypad_keys": ALPHABET,
        }
        response = templates.TemplateResponse(request, "kiosk.html", context)
        response.headers["Cache-Control"] = "no-store"
        return response

    @router.get("/kiosk/{lane}/events")
    async def kiosk_events(request: Request, lane: str, display: str = "") -> Response:
        current(lane)
        # The kiosk's own screen presents the site's display token (?display=, from its page URL):
        # its stream is kept when strangers fill the limit.
        preferred = bool(display_token) and hmac.compare_digest(display.encode(), display_token.encode())
        stop = streams.admit(request.client.host if request.client else "?", preferred)
        if stop is None:
            raise HTTPException(status_code=503, detail="too many open kiosk streams")
        return LaneEventStream(hub, lane, heartbeat_s, streams, stop, shown)

    return router
