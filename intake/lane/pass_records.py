"""The lane driver's records of a truck's pass: weighings, holds and voids committed in a
worker thread, the deck evidence hand-over, a delivery ended on a stored tare, and the receipt
the leaving driver is shown. A part of `LaneDriver` (intake.lane.driver), kept apart so the
driver's device and command loop stays readable; it holds no state of its own."""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from sqlalchemy.exc import SQLAlchemyError

from intake.config import LaneConfig
from intake.lane.machine import RecordHold, RecordVoid, RecordWeight, VisitOver
from intake.lane.status import Receipt
from intake.store.records import Admission, Records
from intake.store.stored_tare import use_stored_tare

log = logging.getLogger("intake.lane.driver")

VisitDone = Callable[[str], Awaitable[None] | None]
Weighed = Callable[[int, str, str, str, int], None]   # (weighing id, visit, kind, plate, kg); must not wait


class PassRecords:
    """Mixed into LaneDriver, whose __init__ sets these."""
    cfg: LaneConfig
    records: Records
    on_visit_done: VisitDone | None
    on_weighed: Weighed | None
    visits_done: int
    _admission: Admission | None
    _receipt: tuple[str, Receipt] | None
    _receipt_read: asyncio.Task[None] | None

    async def _record(self, command: RecordWeight | RecordHold | RecordVoid | VisitOver) -> None:
        if isinstance(command, RecordWeight):
            weighing = await asyncio.to_thread(self.records.record_weight, command.visit, command.kind,
                                               command.weight_kg, self.cfg.scale.port,
                                               self.cfg.scale.identity(self.cfg.weighing.max_kg))
            self._weighed(weighing, command)
            if command.kind == "out":
                found = await asyncio.to_thread(self.records.checks_at_weigh_out, command.visit,
                                                command.weight_kg, self.cfg.weighing.tare_tolerance_kg,
                                                self.cfg.weighing.stored_tare_max_age_days)
                if found:
                    await asyncio.to_thread(self.records.record_decision, command.visit, "review", found, None)
                await self._visit_done(command.visit)
                # Read beside the lane, never in its way: the return arm does not wait on it.
                self._receipt_read = asyncio.create_task(self._keep_receipt(command.visit))
        elif isinstance(command, RecordHold):
            await asyncio.to_thread(self.records.record_decision, command.visit, command.verdict,
                                    list(command.reasons), command.label)
        else:
            if isinstance(command, RecordVoid):
                await asyncio.to_thread(self.records.record_decision, command.visit, "review",
                                        [command.reason], None)
            await self._visit_done(command.visit)

    def _weighed(self, weighing: int, command: RecordWeight) -> None:
        """Hand the committed weighing to the evidence desk: it only queues, so the sampler
        command and the barrier that follow never wait on a camera."""
        if self.on_weighed is None:
            return
        adm = self._admission
        plate = adm.plate if adm is not None and adm.visit == command.visit else "?"
        try:
            self.on_weighed(weighing, command.visit, command.kind, plate, command.weight_kg)
        except Exception:   # evidence is beside the lane, never in its way
            log.exception("lane %s: evidence hand-over failed for weighing %s", self.cfg.id, weighing)

    async def _stored_tare_exit(self, visit: str) -> None:
        """One weighing, where the plant allows it: the delivery ends on the vehicle's valid
        stored tare, recorded before the plant arm opens, and its ticket is issued now. Without
        a valid tare (or the store failing) nothing is recorded and the truck weighs out."""
        if not self.cfg.weighing.stored_tare_exit:
            return
        try:
            used = await asyncio.to_thread(use_stored_tare, self.records.engine, visit,
                                           self.cfg.weighing.stored_tare_max_age_days)
        except (SQLAlchemyError, OSError) as exc:
            log.warning("lane %s: stored tare not recorded for %s (%s); it weighs out", self.cfg.id, visit, exc)
            return
        if used is None:
            return
        await self._visit_done(visit)
        self._receipt_read = asyncio.create_task(self._keep_receipt(visit))

    async def _visit_done(self, visit: str) -> None:
        self.visits_done += 1
        if self.on_visit_done is not None:
            result = self.on_visit_done(visit)
            if asyncio.iscoroutine(result):
                await result


    async def _keep_receipt(self, visit: str) -> None:
        """The weighings and ticket the leaving driver is shown; a failed read shows none."""
        try:
            facts = await asyncio.to_thread(self.records.visit_summary, visit)
        except Exception as exc:   # the store in trouble: the lane deals with that, the kiosk shows none
            log.warning("lane %s: no receipt for the kiosk for visit %s: %s", self.cfg.id, visit, exc)
            return
        self._receipt = (visit, Receipt.model_validate(facts))
