"""Reviews: the Review table, the review write, and the read queries the review pages need
(queue with filters and counts, one inspection's detail, supplier reject rates, CSV export).

A review never edits anything: it appends a Review row and a new Decision row (the new verdict)
in one transaction. The gate's own decision stays as it was; "current" means the latest.

Queue queries are keyset-paginated on (decided_at, id) so the 1,000th page costs what the first
does. Indexes they rely on: see QUEUE_INDEXES (migration 0006 carries them).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo
from typing import Any, ClassVar, Final, Literal, Optional

from sqlalchemy import Index, and_, exists, func, literal, or_, select, tuple_
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Field, Session, SQLModel, col

from intake.config import LABELS
from intake.store.csvcells import neutralise
from intake.store.search import matching_visits, terms
from intake.store.spotchecks import SpotCheck, flagged_visits, touched
from intake.store.tables import (
    Decision, DeliveryOrder, Frame, Inspection, Material, Sample, SampleResult, Supplier, Vehicle, Visit,
    Weighing, utcnow,
)

QueueStatus = Literal["pending", "reviewed", "flagged", "all"]
QUEUE_VERDICTS: Final[tuple[str, ...]] = ("reject", "review")   # the queue's items by default
BROWSE_VERDICTS: Final[tuple[str, ...]] = (*QUEUE_VERDICTS, "pass")   # pass: browsed to spot-check
FINAL_VERDICTS: Final[tuple[str, ...]] = ("pass", "reject")   # what a reviewer may decide


class Review(SQLModel, table=True):
    """One reviewer's decision on one gate decision. Append-only, hash-chained."""
    __chained__: ClassVar[bool] = True
    id: Optional[int] = Field(default=None, primary_key=True)
    visit_id: str = Field(foreign_key="visit.id", index=True)
    inspection_id: Optional[int] = Field(default=None, foreign_key="inspection.id", index=True)
    # The decision the reviewer saw: unique, so two reviewers racing on it cannot both win.
    previous_decision_id: int = Field(foreign_key="decision.id", unique=True)
    decision_id: int = Field(foreign_key="decision.id", unique=True)   # the one this review wrote
    reviewer_id: int
    reviewer: str
    old_verdict: Optional[str] = None
    new_verdict: str
    label: str                                  # the reviewer's label: a training label
    reason: str
    reviewed_at: datetime = Field(default_factory=utcnow, index=True)


# Indexes on the gate's tables that the queue needs (migration 0006 creates them; declared
# here so the schema-drift test holds the migration to them).
# (decided_at, verdict, label) covers the queue's newest-first scan and its verdict and label
# tests without touching the table (SQLite appends the rowid, which is the keyset tiebreak).
QUEUE_INDEXES: Final[list[Index]] = [
    Index("ix_decision_queue", Decision.__table__.c.decided_at, Decision.__table__.c.verdict,
          Decision.__table__.c.label),
]


class StaleReview(RuntimeError):
    """The item changed (someone else reviewed it) since the reviewer loaded it."""


class ReviewRejected(ValueError):
    """A review that breaks the rules (bad verdict, unknown label, empty reason)."""


@dataclass(frozen=True)
class QueueFilter:
    date_from: date | None = None
    date_to: date | None = None        # inclusive
    supplier: str | None = None        # supplier code
    material: str | None = None        # material code
    verdict: str | None = None         # reject | review | pass; None: reject + review
    label: str | None = None
    # pending: nobody has looked yet; reviewed: reviewed or spot-checked; flagged: a spot-check
    # disagreed and no review has followed
    status: QueueStatus = "pending"
    zone: str = "UTC"                  # the IANA zone whose days date_from/date_to name
    search: str | None = None          # plate, order, visit id or blind code (intake.store.search)


@dataclass(frozen=True)
class QueueRow:
    decision_id: int
    visit_id: str
    decided_at: datetime
    verdict: str
    label: str | None
    reasons: list[str]
    plate: str
    supplier: str
    material: str
    inspection_id: int | None = None
    confidence: float | None = None
    review: "ReviewInfo | None" = None
    spot_check: SpotCheck | None = None


@dataclass(frozen=True)
class ReviewInfo:
    id: int
    decision_id: int
    reviewer: str
    reviewed_at: datetime
    old_verdict: str | None
    new_verdict: str
    label: str
    reason: str


@dataclass(frozen=True)
class QueueCounts:
    """by_verdict: REJECT and REVIEW items; total: the queue's items (both, whichever verdict
    is chosen), or with verdict=pass the PASS loads, or for a search without a verdict all
    three; passes: the PASS loads (the PASS tab)."""
    by_verdict: dict[str, int]
    total: int
    passes: int = 0

    @classmethod
    def of(cls, f: "QueueFilter", by_verdict: dict[str, int]) -> "QueueCounts":
        queue = {v: by_verdict.get(v, 0) for v in QUEUE_VERDICTS}
        passes = by_verdict.get("pass", 0)
        listed = passes if f.verdict == "pass" else sum(queue.values()) + (passes if f.search and not f.verdict else 0)
        return cls(queue, listed, passes)


def _day_start(day: date, zone: str = "UTC") -> datetime:
    """The instant (UTC) a day starts at in `zone`: a plant's "2026-03-17" is its own midnight."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


def _gate_decision() -> Any:
    """Decisions the gate made (not ones a review wrote) that belong in the queue."""
    written_by_review = exists().where(col(Review.decision_id) == col(Decision.id))
    return and_(col(Decision.verdict).in_(BROWSE_VERDICTS), ~written_by_review)


def _date_filters(f: QueueFilter) -> list[Any]:
    conds: list[Any] = [_gate_decision()]
    if f.date_from:
        conds.append(col(Decision.decided_at) >= _day_start(f.date_from, f.zone))
    if f.date_to:
        conds.append(col(Decision.decided_at) < _day_start(f.date_to + timedelta(days=1), f.zone))
    return conds


def _item_filters(f: QueueFilter, with_verdict: bool = True) -> list[Any]:
    conds: list[Any] = []
    if with_verdict:
        # a search names loads, not a queue: without a verdict chosen it finds PASS loads too
        verdicts = BROWSE_VERDICTS if f.search else QUEUE_VERDICTS
        conds.append(col(Decision.verdict) == f.verdict if f.verdict else col(Decision.verdict).in_(verdicts))
    if f.search:
        conds.append(col(Decision.visit_id).in_(matching_visits(terms(f.search))))
    if f.label:
        conds.append(col(Decision.label) == f.label)
    if f.supplier or f.material:
        order = select(DeliveryOrder.id)
        if f.supplier:
            order = order.where(col(DeliveryOrder.supplier_id) == select(Supplier.id).where(
                col(Supplier.code) == f.supplier).scalar_subquery())
        if f.material:
            order = order.where(col(DeliveryOrder.material_id) == select(Material.id).where(
                col(Material.code) == f.material).scalar_subquery())
        visit_order = (select(Visit.order_id).where(col(Visit.id) == col(Decision.visit_id))
                       .correlate(Decision).scalar_subquery())
        conds.append(visit_order.in_(order))
    reviewed = touched(col(Decision.visit_id))
    if f.status == "pending":
        conds.append(~reviewed)
    elif f.status == "reviewed":
        conds.append(reviewed)
    elif f.status == "flagged":
        conds.append(col(Decision.visit_id).in_(flagged_visits()))
    return conds


def _filters(f: QueueFilter) -> list[Any]:
    return _date_filters(f) + _item_filters(f)


def queue_page(engine: Engine, f: QueueFilter, *, before: int | None = None, limit: int = 50) -> list[QueueRow]:
    """Newest first; `before` is the decision id of the last row of the previous page."""
    conds = _filters(f)
    with Session(engine) as session:
        if before is not None:
            anchor = session.get(Decision, before)
            if anchor is None:
                return []
            conds.append(tuple_(col(Decision.decided_at), col(Decision.id)) < tuple_(
                literal(anchor.decided_at, Decision.__table__.c.decided_at.type), literal(anchor.id)))
        query = (
            select(Decision, Vehicle.plate, Supplier.code, Material.code)
            .join(Visit, col(Visit.id) == col(Decision.visit_id))
            .join(Vehicle, col(Vehicle.id) == col(Visit.vehicle_id))
            .join(DeliveryOrder, col(DeliveryOrder.id) == col(Visit.order_id))
            .join(Supplier, col(Supplier.id) == col(DeliveryOrder.supplier_id))
            .join(Material, col(Material.id) == col(DeliveryOrder.material_id))
            .where(*conds)
            .order_by(col(Decision.decided_at).desc(), col(Decision.id).desc())
            .limit(limit)
        )
        rows = session.execute(query).all()
        visits = [d.visit_id for d, *_ in rows]
        inspections = _inspections_of(session, visits)
        reviews = _latest_reviews(session, visits)
        checks = {c.visit_id: c for c in session.execute(
            select(SpotCheck).where(col(SpotCheck.visit_id).in_(visits)).order_by(col(SpotCheck.id))).scalars()}
    out = []
    for d, plate, supplier, material in rows:
        insp = inspections.get(d.visit_id)
        out.append(QueueRow(d.id, d.visit_id, d.decided_at, d.verdict, d.label, list(d.reasons), plate, supplier,
                            material, insp[0] if insp else None, insp[1] if insp else None,
                            reviews.get(d.visit_id), checks.get(d.visit_id)))
    return out


def _inspections_of(session: Session, visits: Sequence[str]) -> dict[str, tuple[int, float | None]]:
    if not visits:
        return {}
    query = (select(Sample.visit_id, Inspection.id, Inspection.confidence)
             .join(Inspection, col(Inspection.sample_id) == col(Sample.id))
             .where(col(Sample.visit_id).in_(visits)).order_by(col(Inspection.id)))
    return {visit: (iid, conf) for visit, iid, conf in session.execute(query)}


def _review_info(r: Review) -> ReviewInfo:
    assert r.id is not None
    return ReviewInfo(r.id, r.decision_id, r.reviewer, r.reviewed_at, r.old_verdict, r.new_verdict, r.label, r.reason)


def _latest_reviews(session: Session, visits: Sequence[str]) -> dict[str, ReviewInfo]:
    if not visits:
        return {}
    query = select(Review).where(col(Review.visit_id).in_(visits)).order_by(col(Review.id))
    return {r.visit_id: _review_info(r) for r in session.execute(query).scalars()}


def queue_counts(engine: Engine, f: QueueFilter) -> QueueCounts:
    """Exact counts per verdict under every filter but the verdict one (they label the verdict
    tabs). One scan of the queue: the web keeps them incrementally (intake.web.counts), this is
    what those are checked against and what a non-SQLite store uses."""
    query = (select(Decision.verdict, func.count()).where(*_date_filters(f), *_item_filters(f, with_verdict=False))
             .group_by(Decision.verdict))
    with Session(engine) as session:
        return QueueCounts.of(f, {v: int(n) for v, n in session.execute(query)})


def queue_choices(engine: Engine) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(suppliers, materials) as (code, name) for the filter drop-downs."""
    with Session(engine) as session:
        suppliers = [(s.code, s.name) for s in session.execute(select(Supplier).order_by(col(Supplier.code))).scalars()]
        materials = [(m.code, m.name) for m in session.execute(select(Material).order_by(col(Material.code))).scalars()]
    return suppliers, materials


# ---- one item ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Detail:
    """Everything the inspection page shows about one visit (inspection may be absent when the
    sampler failed before any photo was taken)."""
    visit: Visit
    plate: str
    bed_mm: tuple[int, int]
    supplier: Supplier
    material: Material
    order: DeliveryOrder
    weighings: list[Weighing]
    decisions: list[Decision]          # oldest first; the last is current
    reviews: list[ReviewInfo]
    sample: Sample | None = None
    sample_result: SampleResult | None = None
    inspection: Inspection | None = None
    frames: list[Frame] = field(default_factory=list)
    lab_results: list = field(default_factory=list)   # intake.lab.results.LabResult rows
    spot_checks: list[SpotCheck] = field(default_factory=list)

    @property
    def current(self) -> Decision:
        return self.decisions[-1]

    @property
    def gate_decision(self) -> Decision:
        written = {r.decision_id for r in self.reviews}
        return next(d for d in self.decisions if d.id not in written)


def inspection_visit(engine: Engine, inspection_id: int) -> str | None:
    query = (select(Sample.visit_id).join(Inspection, col(Inspection.sample_id) == col(Sample.id))
             .where(col(Inspection.id) == inspection_id))
    with Session(engine) as session:
        return session.execute(query).scalar_one_or_none()


def visit_detail(engine: Engine, visit_id: str) -> Detail | None:
    with Session(engine) as session:
        visit = session.get(Visit, visit_id)
        if visit is None:
            return None
        vehicle = session.get(Vehicle, visit.vehicle_id)
        order = session.get(DeliveryOrder, visit.order_id)
        assert vehicle is not None and order is not None
        supplier = session.get(Supplier, order.supplier_id)
        material = session.get(Material, order.material_id)
        assert supplier is not None and material is not None
        decisions = list(session.execute(select(Decision).where(col(Decision.visit_id) == visit_id)
                                         .order_by(col(Decision.id))).scalars())
        if not decisions:
            return None
        sample = session.execute(select(Sample).where(col(Sample.visit_id) == visit_id)
                                 .order_by(col(Sample.id).desc())).scalars().first()
        result = inspection = None
        frames: list[Frame] = []
        if sample is not None:
            result = session.execute(select(SampleResult).where(col(SampleResult.sample_id) == sample.id)
                                     .order_by(col(SampleResult.id).desc())).scalars().first()
            inspection = session.execute(select(Inspection).where(col(Inspection.sample_id) == sample.id)
                                         .order_by(col(Inspection.id).desc())).scalars().first()
        if inspection is not None:
            frames = list(session.execute(select(Frame).where(col(Frame.inspection_id) == inspection.id)
                                          .order_by(col(Frame.id))).scalars())
        return Detail(
            visit=visit, plate=vehicle.plate, bed_mm=(vehicle.bed_length_mm, vehicle.bed_width_mm),
            supplier=supplier, material=material, order=order,
            weighings=list(session.execute(select(Weighing).where(col(Weighing.visit_id) == visit_id)
                                           .order_by(col(Weighing.id))).scalars()),
            decisions=decisions,
            reviews=[_review_info(r) for r in session.execute(
                select(Review).where(col(Review.visit_id) == visit_id).order_by(col(Review.id))).scalars()],
            sample=sample, sample_result=result, inspection=inspection, frames=frames,
            lab_results=_lab_results(session, sample),
            spot_checks=list(session.execute(select(SpotCheck).where(col(SpotCheck.visit_id) == visit_id)
                                             .order_by(col(SpotCheck.id))).scalars()),
        )


def _lab_results(session: Session, sample: Sample | None) -> list:
    """What the lab reported for this sample's blind code (the ground truth for the model)."""
    from intake.lab.results import LabResult

    if sample is None:
        return []
    return list(session.execute(select(LabResult).where(col(LabResult.blind_code) == sample.blind_code)
                                .order_by(col(LabResult.id))).scalars())


def frame_path(engine: Engine, frame_id: int) -> tuple[str, str] | None:
    """(path relative to data_dir, sha256) of a frame record."""
    with Session(engine) as session:
        frame = session.get(Frame, frame_id)
        return (frame.path, frame.sha256) if frame is not None else None


# ---- the write ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ReviewRequest:
    visit_id: str
    seen_decision_id: int        # the current decision when the reviewer loaded the page
    reviewer_id: int
    reviewer: str
    new_verdict: str
    label: str
    reason: str


def record_review(engine: Engine, req: ReviewRequest) -> Review:
    """Append the Review and the new Decision in one transaction; StaleReview if the item's
    current decision is no longer the one the reviewer saw."""
    reason = " ".join(req.reason.split())
    if req.new_verdict not in FINAL_VERDICTS:
        raise ReviewRejected(f"verdict must be one of {', '.join(FINAL_VERDICTS)}")
    if req.label not in LABELS:
        raise ReviewRejected(f"label must be one of {', '.join(LABELS)}")
    if not 3 <= len(reason) <= 500:
        raise ReviewRejected("a reason of 3 to 500 characters is required")
    with Session(engine) as session:
        current = session.execute(select(Decision).where(col(Decision.visit_id) == req.visit_id)
                                  .order_by(col(Decision.id).desc()).limit(1)).scalars().first()
        if current is None or current.id != req.seen_decision_id:
            raise StaleReview("this item changed since it was opened")
        _may_review_pass(session, current, req.reviewer_id)
        sample = select(Sample.id).where(col(Sample.visit_id) == req.visit_id)
        inspection_id = session.execute(select(Inspection.id).where(col(Inspection.sample_id).in_(sample))
                                        .order_by(col(Inspection.id).desc()).limit(1)).scalar_one_or_none()
        decision = Decision(visit_id=req.visit_id, verdict=req.new_verdict, reasons=[f"reviewed:{reason}"],
                            label=req.label)
        session.add(decision)
        session.flush()
        assert decision.id is not None and current.id is not None
        review = Review(visit_id=req.visit_id, inspection_id=inspection_id, previous_decision_id=current.id,
                        decision_id=decision.id, reviewer_id=req.reviewer_id, reviewer=req.reviewer,
                        old_verdict=current.verdict, new_verdict=req.new_verdict, label=req.label,
                        reason=reason)
        session.add(review)
        try:
            session.commit()
        except IntegrityError as exc:   # another reviewer's review of the same decision won
            raise StaleReview("someone else reviewed this item first") from exc
        session.refresh(review)
        return review


def _may_review_pass(session: Session, current: Decision, reviewer_id: int) -> None:
    """A PASS a spot-check flagged is settled by someone else: the reviewer who flagged it does
    not overturn it alone. (The pages offer a PASS nobody flagged a spot-check, not a review:
    intake.web.spotcheck.)"""
    if current.verdict != "pass" or session.execute(select(Review.id).where(
            col(Review.decision_id) == current.id)).first() is not None:
        return                                  # not the gate's PASS: a review's, settled already
    flaggers = set(session.execute(select(SpotCheck.reviewer_id).where(
        col(SpotCheck.visit_id) == current.visit_id, ~col(SpotCheck.agrees))).scalars())
    if flaggers and flaggers == {reviewer_id}:
        raise ReviewRejected("a load you flagged is reviewed by someone else")


# ---- export ------------------------------------------------------------------------------

def _csv_lines(header: Sequence[str], rows: Iterator[Sequence[object]], chunk_rows: int = 500) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    for i, row in enumerate(rows, 1):
        writer.writerow([neutralise(v) for v in row])
        if i % chunk_rows == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


VISIT_COLUMNS: Final[tuple[str, ...]] = (
    "visit", "opened_at", "lane", "plate", "supplier", "material", "order", "gross_kg", "tare_kg", "exit_kg",
    "received", "net_kg", "verdict", "reasons", "label", "reviewed", "verified")
FAILS = "record fails verification"
# The ids among some ids of a table whose rows fail their chain links (intake.web.verified.failing).
RowCheck = Callable[[type[SQLModel], list[Any]], set[Any]]
Stamp = Callable[[datetime], str]


def day_window(since: date, until: date, zone: str = "UTC") -> tuple[datetime, datetime]:
    return _day_start(since, zone), _day_start(until + timedelta(days=1), zone)


def export_visits(engine: Engine, since: date, until: date, chunk_rows: int = 500,
                  check: RowCheck | None = None, stamp: Stamp = datetime.isoformat, zone: str = "UTC") -> Iterator[str]:
    """CSV of the visits opened in [since, until], one line each, with the current verdict.
    With `check`, each chunk's visit, weighing and decision rows are checked against their
    chain links first: a line resting on a row that fails says so in `verified` and carries
    no weights, net or verdict, so a forged figure is never exported as fact. `stamp` writes a
    time (the web's exports: local time with its offset, intake.web.localtime); the days are `zone`'s."""
    start, end = day_window(since, until, zone)
    query = _visits_query(start, end)

    def line(r: Sequence[Any], ok: bool) -> tuple[object, ...]:
        v, at, lane, plate, sup, mat, order, g, t, route, verdict, reasons, label, rev = r[:14]
        if not ok:
            return (v, stamp(at), lane, plate, sup, mat, order, None, None, None, "", None, "", "", "",
                    "yes" if rev else "no", FAILS)
        received = route in (None, "pass")   # sent back with its load: nothing received
        net = (g - t if g is not None and t is not None else None) if received else 0
        return (v, stamp(at), lane, plate, sup, mat, order, g, t if received else None,
                None if received else t, "yes" if received else "no", net, verdict or "",
                ";".join(reasons or []), label or "", "yes" if rev else "no", "yes" if check else "not checked")

    refs: Refs = ((Visit, lambda r: (r[0],)), (Weighing, lambda r: (r[14], r[15])), (Decision, lambda r: (r[16], r[17])))

    def rows() -> Iterator[Sequence[object]]:
        with Session(engine) as session:
            yield from _checked_lines(session.execute(query.execution_options(yield_per=1000)), chunk_rows,
                                      check, refs, line)

    return _csv_lines(VISIT_COLUMNS, rows(), chunk_rows)


def _visits_query(start: datetime, end: datetime) -> Any:
    """Each visit with its weighings, the decision in force now and the one that routed it."""
    gross = aliased(Weighing)
    tare = aliased(Weighing)
    latest = (select(func.max(Decision.id)).where(col(Decision.visit_id) == col(Visit.id))
              .correlate(Visit).scalar_subquery())
    reviewed = exists().where(col(Review.visit_id) == col(Visit.id))
    # What routed the truck: the decision in force at its weigh-out (records.was_received).
    routed = aliased(Decision)
    routing = (select(func.max(Decision.id)).where(
        col(Decision.visit_id) == col(Visit.id),
        or_(tare.recorded_at.is_(None), col(Decision.decided_at) <= tare.recorded_at))
        .correlate(Visit, tare).scalar_subquery())
    columns: list[Any] = [
        Visit.id, Visit.opened_at, Visit.lane, Vehicle.plate, Supplier.code, Material.code, DeliveryOrder.code,
        gross.weight_kg, tare.weight_kg, routed.verdict, Decision.verdict, Decision.reasons, Decision.label,
        reviewed, gross.id, tare.id, Decision.id, routed.id]   # the last four: the rows a line rests on
    return (
        select(*columns)
        .join(Vehicle, col(Vehicle.id) == col(Visit.vehicle_id))
        .join(DeliveryOrder, col(DeliveryOrder.id) == col(Visit.order_id))
        .join(Supplier, col(Supplier.id) == col(DeliveryOrder.supplier_id))
        .join(Material, col(Material.id) == col(DeliveryOrder.material_id))
        .outerjoin(gross, and_(gross.visit_id == Visit.id, gross.kind == "in"))
        .outerjoin(tare, and_(tare.visit_id == Visit.id, tare.kind == "out"))
        .outerjoin(Decision, col(Decision.id) == latest)
        .outerjoin(routed, routed.id == routing)
        .where(col(Visit.opened_at) >= start, col(Visit.opened_at) < end)
        .order_by(col(Visit.opened_at))
    )


# The rows a CSV line rests on: (table, the ids of its rows in that table, from the query row).
Refs = Sequence[tuple[type[SQLModel], Callable[[Sequence[Any]], tuple[Any, ...]]]]
Line = Callable[[Sequence[Any], bool], tuple[object, ...]]


def _checked_lines(result: Iterable[Any], chunk_rows: int, check: RowCheck | None, refs: Refs,
                   line: Line) -> Iterator[tuple[object, ...]]:
    """The query's lines, a chunk at a time, each told whether the rows it rests on verify."""
    batch: list[Sequence[Any]] = []
    for r in result:
        batch.append(tuple(r))
        if len(batch) >= chunk_rows:
            yield from _checked(batch, check, refs, line)
            batch = []
    yield from _checked(batch, check, refs, line)


def _checked(batch: list[Sequence[Any]], check: RowCheck | None, refs: Refs, line: Line) -> Iterator[tuple[object, ...]]:
    if not batch:
        return
    bad: dict[type[SQLModel], set[Any]] = {}
    if check is not None:
        for table, pick in refs:
            bad.setdefault(table, set()).update(check(table, [i for r in batch for i in pick(r) if i is not None]))
    for r in batch:
        yield line(r, not any(set(pick(r)) & bad.get(table, set()) for table, pick in refs))


INSPECTION_COLUMNS: Final[tuple[str, ...]] = (
    "inspection", "visit", "recorded_at", "supplier", "material", "model_sha256", "label", "confidence",
    "frames_agree", "faults", "frames", "review_verdict", "review_label", "reviewer", "verified")


def export_inspections(engine: Engine, since: date, until: date, chunk_rows: int = 500,
                       check: RowCheck | None = None, stamp: Stamp = datetime.isoformat, zone: str = "UTC") -> Iterator[str]:
    """CSV of inspections recorded in [since, until]; with the latest review's verdict and label,
    which is the training label for the image set. With `check`, a line whose inspection or
    review row fails its chain link says so in `verified` and carries no label or verdict."""
    start, end = day_window(since, until, zone)
    frames = (select(func.count()).select_from(Frame).where(col(Frame.inspection_id) == col(Inspection.id))
              .correlate(Inspection).scalar_subquery())
    latest_review = (select(func.max(Review.id)).where(col(Review.visit_id) == col(Sample.visit_id))
                     .correlate(Sample).scalar_subquery())
    query = (
        select(Inspection, Sample.visit_id, Supplier.code, Material.code, frames,
               Review.new_verdict, Review.label, Review.reviewer, Review.id)
        .join(Sample, col(Sample.id) == col(Inspection.sample_id))
        .join(Visit, col(Visit.id) == col(Sample.visit_id))
        .join(DeliveryOrder, col(DeliveryOrder.id) == col(Visit.order_id))
        .join(Supplier, col(Supplier.id) == col(DeliveryOrder.supplier_id))
        .join(Material, col(Material.id) == col(DeliveryOrder.material_id))
        .outerjoin(Review, col(Review.id) == latest_review)
        .where(col(Inspection.recorded_at) >= start, col(Inspection.recorded_at) < end)
        .order_by(col(Inspection.id))
    )

    def line(r: Sequence[Any], ok: bool) -> tuple[object, ...]:
        i, visit, sup, mat, n, rv, rl, who = r[:8]
        if not ok:
            return (i.id, visit, stamp(i.recorded_at), sup, mat, "", "", "", "", "", n, "", "", "", FAILS)
        conf = "" if i.confidence is None else f"{i.confidence:.4f}"
        return (i.id, visit, stamp(i.recorded_at), sup, mat, i.model_sha256 or "", i.label or "", conf,
                "yes" if i.frames_agree else "no", ";".join(i.faults or []), n, rv or "", rl or "", who or "",
                "yes" if check else "not checked")

    refs: Refs = ((Inspection, lambda r: (r[0].id,)), (Review, lambda r: (r[8],)))

    def rows() -> Iterator[Sequence[object]]:
        with Session(engine) as session:
            yield from _checked_lines(session.execute(query.execution_options(yield_per=1000)), chunk_rows,
                                      check, refs, line)

    return _csv_lines(INSPECTION_COLUMNS, rows(), chunk_rows)
