"""Spot-checks on the inspection page: which form a PASS load offers, and the post that records one.

A PASS the gate made and nobody has looked at offers the spot-check (agree, or disagree with a
label and a reason); it writes a SpotCheck and no Decision. A load a spot-check disagreed with
is flagged: it offers the ordinary review form, to anyone but the one who flagged it.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from intake.auth.sessions import Principal
from intake.store import spotchecks
from intake.store.reviews import Detail
from intake.store.spotchecks import SpotCheckRequest


def spot_check_context(detail: Detail, who: Principal) -> dict[str, Any]:
    """What the item page offers: `spot_form` (an unlooked-at gate PASS), `decide_form` (every
    other load, a flagged PASS included) and `flagged_by_you` (the decide form is someone else's)."""
    gate, current = detail.gate_decision, detail.current
    gate_pass = gate.verdict == "pass" and current.id == gate.id
    flaggers = {c.reviewer_id for c in detail.spot_checks if not c.agrees}
    flagged = bool(flaggers) and not detail.reviews
    return {"spot_form": gate_pass and not detail.spot_checks,
            "decide_form": not gate_pass or flagged,
            "flagged": flagged,
            "flagged_by_you": flagged and flaggers == {who.user_id}}


def spot_request(form: dict[str, str], who: Principal, seen: int) -> SpotCheckRequest:
    return SpotCheckRequest(visit_id=form.get("visit", "")[:64], seen_decision_id=seen, reviewer_id=who.user_id,
                            reviewer=who.username, agrees=form.get("agrees") == "yes",
                            label=form.get("label", ""), reason=form.get("reason", ""))


def record(engine: Engine, req: SpotCheckRequest) -> tuple[str, int] | None:
    """Record the spot-check; the refusal (message, HTTP status), or None when it was recorded."""
    try:
        spotchecks.record_spot_check(engine, req)
    except spotchecks.SpotCheckRejected as exc:
        return str(exc), 400
    except spotchecks.StaleSpotCheck as exc:
        return str(exc), 409
    return None
