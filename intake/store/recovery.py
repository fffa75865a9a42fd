"""Start-up recovery: a visit the gate was handling when it stopped (power cut, crash, kill) is
never completed automatically. It ends as REVIEW with the reason `aborted_by_restart`, a new
chained Decision like any other; quality staff decide what happens to the truck."""
from __future__ import annotations

import logging

from sqlalchemy import exists
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.store.tables import Decision, Visit

log = logging.getLogger(__name__)
ABORTED = "aborted_by_restart"


def abort_visits_in_flight(engine: Engine) -> list[str]:
    """Visits opened but without any decision yet: the weigh-in pass never finished."""
    with Session(engine) as session:
        undecided = ~exists().where(col(Decision.visit_id) == col(Visit.id))
        visits = list(session.exec(select(Visit.id).where(undecided).order_by(col(Visit.opened_at))))
        for visit in visits:
            session.add(Decision(visit_id=visit, verdict="review", reasons=[ABORTED]))
        session.commit()
    for visit in visits:
        log.warning("visit %s was in flight at the last stop: held for review (%s)", visit, ABORTED)
    return visits
