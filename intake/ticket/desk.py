"""The gate's ticket desk: after each weigh-out the lane's visit gets its ticket, and the lane's
kiosk printer prints it.

Nothing here may change a truck's route or keep it. The ticket is issued after the weigh-out
and the decision are committed, in the lane's visit-done step (one transaction; the exit
barrier opens after it); an issue that fails (store trouble) is logged and the ticket is issued
later by `intake ticket issue --pending`; printing runs in a worker thread beside the lane, and
a printer that is off or out of paper is a failed print record, reprinted by `intake ticket
print`.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable

from sqlalchemy.engine import Engine

from hardware.printer.driver import PrinterLink
from intake.config import GateConfig, LaneConfig, PrinterConfig
from intake.ticket.issue import TicketError, issue_ticket
from intake.ticket.printing import print_receipt

log = logging.getLogger(__name__)
VisitDone = Callable[[str], Awaitable[None] | None]


def link_of(cfg: PrinterConfig) -> PrinterLink:
    return PrinterLink(cfg.link, host=cfg.host, port=cfg.port, device=cfg.device, baud=cfg.baud,
                       timeout_s=cfg.timeout_s)


class TicketDesk:
    def __init__(self, cfg: GateConfig, engine: Engine) -> None:
        self.cfg, self.engine = cfg, engine
        self.issued: dict[str, int] = {}      # visit -> ticket number, this run (the demo reads it)
        self._prints: set[asyncio.Task[None]] = set()
        # One job at a time per lane's printer: two tickets' bytes interleaved on a serial line
        # would print as one garbled ticket (a raw TCP port refuses or queues a second job).
        self._printer_locks: dict[str, threading.Lock] = {lane.id: threading.Lock() for lane in cfg.lanes}

    def wrap(self, lane: LaneConfig, then: VisitDone | None) -> VisitDone:
        """The lane's visit-done callback: the ticket first, then whatever else was asked."""
        async def done(visit: str) -> None:
            await self.after_visit(lane, visit)
            if then is not None:
                result = then(visit)
                if asyncio.iscoroutine(result):
                    await result
        return done

    async def after_visit(self, lane: LaneConfig, visit: str) -> int | None:
        try:
            ticket = await asyncio.to_thread(issue_ticket, self.engine, visit, self.cfg.site.name)
        except TicketError:
            return None    # voided before its weigh-out: no delivery to state
        except Exception:
            log.exception("lane %s: no ticket for visit %s now; `intake ticket issue` makes it", lane.id, visit)
            return None
        assert ticket.id is not None
        self.issued[visit] = ticket.number
        if lane.printer is not None:
            task = asyncio.create_task(asyncio.to_thread(self._print, lane, ticket.id, ticket.number))
            self._prints.add(task)
            task.add_done_callback(self._prints.discard)
        return ticket.number

    def _print(self, lane: LaneConfig, ticket_id: int, number: int) -> None:
        assert lane.printer is not None
        try:
            with self._printer_locks.setdefault(lane.id, threading.Lock()):
                printed = print_receipt(self.engine, ticket_id, link_of(lane.printer), base_url=self.cfg.ticket_url(),
                                        tz=self.cfg.tickets.timezone, paper_mm=lane.printer.paper_mm)
        except Exception:
            log.exception("lane %s: ticket %08d not printed and not recorded", lane.id, number)
            return
        if not printed.record.ok:
            log.warning("lane %s: ticket %08d not printed (%s); `intake ticket print %d` prints it",
                        lane.id, number, printed.record.error, number)

    async def drain(self, timeout_s: float = 10.0) -> None:
        """Wait for prints in progress (at shutdown), at most `timeout_s`."""
        if self._prints:
            await asyncio.wait(set(self._prints), timeout=timeout_s)
