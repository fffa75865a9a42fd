"""The attendant's log on a real SQLite store: a request's rules, the gate's answer with its new
Decision in one transaction, nothing edited, the calls' rate limit, and the chain verifying."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from intake.store import attendant
from intake.store.attendant import AttendantEvent, RequestRejected
from intake.store.audit import verify
from intake.store.tables import Decision
from tests.intake.web.review_seed import AUDIT_KEY, add_item, day, make_engine, plates, seed_master


@pytest.fixture
def held(tmp_path: Path):
    engine = make_engine(tmp_path / "gate.db")
    seed_master(engine)
    sand, _ = plates()
    item = add_item(engine, tmp_path / "data", plate=sand, verdict="review", label="clean_sand",
                    reasons=["low_confidence"], at=day(0), frames=0)
    return engine, item.visit


def test_a_request_needs_a_known_action_a_reason_and_an_attendant(held) -> None:
    engine, visit = held
    for action, reason, by in (("open_all", "x", "wang"), ("release", "  ", "wang"), ("release", "x" * 501, "wang"),
                               ("release", "ok", " ")):
        with pytest.raises(RequestRejected):
            attendant.request(engine, "1", visit, action, reason, by, 1)
    rid = attendant.request(engine, "1", visit, "release", " ok ", "wang", 1)
    [pending] = attendant.pending(engine, "1", 0)
    assert (pending.id, pending.kind, pending.visit, pending.action, pending.reason) == (rid, "request", visit,
                                                                                        "release", "ok")
    assert attendant.pending(engine, "2", 0) == [] and attendant.pending(engine, "1", rid) == []


def test_a_release_taken_is_a_new_pass_decision_beside_the_gates_review(held) -> None:
    engine, visit = held
    rid = attendant.request(engine, "1", visit, "release", "photos fine", "wang", 1)
    attendant.answer(engine, "1", rid, visit, "release", "wang", "photos fine", None)
    with Session(engine) as session:
        decisions = session.exec(select(Decision).where(Decision.visit_id == visit).order_by(col(Decision.id))).all()
    assert [(d.verdict, d.reasons) for d in decisions] == [("review", ["low_confidence"]),
                                                          ("pass", ["attendant_release"])]
    done = attendant.answer_to(engine, rid)
    assert done is not None and done.kind == "done" and done.decision_id == decisions[-1].id
    report = verify(engine, AUDIT_KEY)
    assert report.ok, report.problems


def test_a_refused_answer_writes_no_decision(held) -> None:
    engine, visit = held
    rid = attendant.request(engine, "1", visit, "park", "no bay free", "wang", 1)
    attendant.answer(engine, "1", rid, visit, "park", "wang", "no bay free", "not_held")
    with Session(engine) as session:
        assert len(session.exec(select(Decision).where(Decision.visit_id == visit)).all()) == 1
    refused = attendant.answer_to(engine, rid)
    assert refused is not None and (refused.kind, refused.refused, refused.decision_id) == ("refused", "not_held",
                                                                                           None)


def test_calls_are_kept_to_one_per_lane_in_a_burst(held) -> None:
    engine, visit = held
    t0, s = day(0), timedelta(seconds=1)
    assert attendant.record_call(engine, "1", visit, t0) is not None
    assert attendant.record_call(engine, "1", visit, t0 + 9 * s) is None       # the same burst
    assert attendant.record_call(engine, "2", None, t0 + 9 * s) is not None   # another lane's own
    assert attendant.record_call(engine, "1", visit, t0 + 11 * s) is not None
    with Session(engine) as session:
        assert [(r.lane, r.kind) for r in session.exec(select(AttendantEvent))] == [("1", "call"), ("2", "call"),
                                                                                   ("1", "call")]


class StepClock:
    """The lane's clock, moved by the test."""
    speed = 1.0

    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t


def test_the_lane_takes_only_its_own_calls_and_requests_made_while_it_runs(held) -> None:
    import asyncio

    from intake.lane.attendant_desk import AttendantDesk
    from intake.lane.events import AttendantCalled, AttendantDecision

    engine, visit = held
    attendant.request(engine, "1", visit, "release", "asked before the gate ran", "wang", 1)
    clock = StepClock()
    desk = AttendantDesk(engine, "1", clock)  # type: ignore[arg-type]
    assert asyncio.run(desk.events()) == []   # the first look only notes where the log stands
    attendant.record_call(engine, "2", None)
    attendant.record_call(engine, "1", visit)
    rid = attendant.request(engine, "1", visit, "park", "bay 3", "wang", 1)
    assert asyncio.run(desk.events()) == []   # between looks
    clock.t = 1.0
    assert asyncio.run(desk.events()) == [AttendantCalled(1.0), AttendantDecision(1.0, visit, "park", "wang", "bay 3", rid)]
    clock.t = 2.0
    assert asyncio.run(desk.events()) == []   # each taken once


def test_a_released_load_is_flagged_for_quality_staff_until_reviewed(held) -> None:
    from intake.store.reviews import ReviewRequest, record_review
    from intake.store.spotchecks import flagged, flagged_count

    engine, visit = held

    def is_flagged() -> bool:
        with Session(engine) as session:
            return bool(session.execute(select(flagged(visit))).scalar())

    refused = attendant.request(engine, "1", visit, "release", "photos fine", "wang", 1)
    attendant.answer(engine, "1", refused, visit, "release", "wang", "photos fine", "lane_fault")
    assert flagged_count(engine) == 0 and not is_flagged()   # nothing was released
    rid = attendant.request(engine, "1", visit, "release", "photos fine", "wang", 1)
    attendant.answer(engine, "1", rid, visit, "release", "wang", "photos fine", None)
    # The attendant's PASS is in force, and the load waits for a quality engineer's review.
    assert flagged_count(engine) == 1 and is_flagged()
    with Session(engine) as session:
        decision = session.exec(select(Decision).where(Decision.visit_id == visit)
                                .order_by(col(Decision.id).desc())).first()
        assert decision is not None and decision.id is not None
    record_review(engine, ReviewRequest(visit, decision.id, 2, "li", "pass", "clean_sand", "release confirmed"))
    assert flagged_count(engine) == 0 and not is_flagged()
