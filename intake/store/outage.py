"""A lane's store outage: the records stopped going in (disk full, database locked by another
process, read-only file). The lane admits nobody, shows why, and retries at intervals; the visit
that was in flight keeps everything already recorded and, once the store takes records again,
ends as REVIEW with the reason `store_<kind>` (never as PASS: its record was not written).
"""
from __future__ import annotations

import logging
from typing import Final

from sqlalchemy.exc import SQLAlchemyError

from intake.store.faults import StoreFault, classify, probe
from intake.store.records import Records

log = logging.getLogger(__name__)
RETRY_S: Final[float] = 5.0   # simulated seconds between attempts to write again


class StoreOutage:
    def __init__(self, records: Records, retry_s: float = RETRY_S) -> None:
        self.records, self.retry_s = records, retry_s
        self.kind: StoreFault | None = None
        self.owed: str | None = None      # the visit whose record could not be written
        self._next_try = 0.0

    @property
    def fault(self) -> str | None:
        """What the kiosk and /health show: store:full, store:locked, store:read_only, ..."""
        return f"store:{self.kind}" if self.kind else None

    @property
    def reason(self) -> str:
        return f"store_{self.kind or 'error'}"

    def fail(self, exc: BaseException, in_flight: str | None, now: float) -> None:
        if self.kind is None:
            self.owed = in_flight   # only the first failure has a truck whose record was lost
        self.kind = classify(exc)
        self._next_try = now + self.retry_s

    def due(self, now: float) -> bool:
        return self.kind is not None and now >= self._next_try

    def retry(self, now: float) -> bool:
        """Blocking (run it in a worker thread). One attempt: the owed visit's REVIEW decision
        is the probe when there is one, else a rolled-back write. True once records go in."""
        self._next_try = now + self.retry_s
        try:
            if self.owed is not None:
                self.records.record_decision(self.owed, "review", [self.reason], None)
            else:
                still = probe(self.records.engine)
                if still is not None:
                    self.kind = still
                    return False
        except (SQLAlchemyError, OSError) as exc:
            self.kind = classify(exc)
            return False
        log.warning("store takes records again after %s%s", self.fault,
                    f"; visit {self.owed} held for review" if self.owed else "")
        return True

    def clear(self) -> None:
        self.kind, self.owed = None, None
