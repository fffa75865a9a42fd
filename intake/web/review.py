"""Review pages for quality staff: the queue (/review), one item (/review/<inspection>), the
decision post, and "next item" after a decision.

Handlers are plain `def`: FastAPI runs them in its thread pool, so database work never blocks
the event loop the kiosk streams share.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine

from intake.auth.sessions import Principal
from intake.config import LABELS
from intake.learning.registry import version_of
from intake.store import reviews
from intake.store.db import read_only
from intake.store.integrity import state_for
from intake.store.retention import removal_of
from intake.store.queue_frames import first_frames, removed_visits
from intake.store.repeats import repeat_links
from intake.store.reviews import Detail, QueueFilter, QueueRow
from intake.store.search import MAX_TERM
from intake.store.spotchecks import flagged_count
from intake.store.tables import Decision
from intake.web.charts import BarChart, bar_chart, bed_plot
from intake.web.counts import QueueCounter
from intake.web.evidence import visit_evidence
from intake.web.ids import PathId, QueryId, require_id
from intake.web.staff import Staff, StaffPost
from intake.web.spotcheck import record as record_spot_check
from intake.web.spotcheck import spot_check_context, spot_request
from intake.web.staff_i18n import CLASS_LABELS
from intake.web.verified import detail_failures, failing

PAGE_SIZE = 50
STATUSES = ("pending", "reviewed", "flagged", "all")
FILTER_KEYS = ("date_from", "date_to", "supplier", "material", "verdict", "label", "status", "search")


def parse_filter(params: Mapping[str, str], zone: str = "UTC") -> QueueFilter:
    """The queue filter from query or form fields (dates: days of `zone`, the site's); 400 on
    a value that cannot be meant."""
    def day(key: str) -> date | None:
        raw = params.get(key) or ""
        try:
            return date.fromisoformat(raw) if raw else None
        except ValueError:
            raise HTTPException(status_code=400, detail=f"{key}: not a date (YYYY-MM-DD)") from None

    def one_of(key: str, allowed: tuple[str, ...]) -> str | None:
        raw = params.get(key) or None
        if raw is not None and raw not in allowed:
            raise HTTPException(status_code=400, detail=f"{key}: must be one of {', '.join(allowed)}")
        return raw

    status = one_of("status", STATUSES) or "pending"
    search = " ".join((params.get("search") or "").split())[:MAX_TERM] or None
    return QueueFilter(date_from=day("date_from"), date_to=day("date_to"),
                       supplier=(params.get("supplier") or None), material=(params.get("material") or None),
                       verdict=one_of("verdict", reviews.BROWSE_VERDICTS), label=one_of("label", LABELS),
                       status=status, zone=zone, search=search)  # type: ignore[arg-type]


def filter_query(f: QueueFilter) -> str:
    """The filter as a query string (only non-default fields), to carry it across pages."""
    values = {"date_from": f.date_from, "date_to": f.date_to, "supplier": f.supplier, "material": f.material,
              "verdict": f.verdict, "label": f.label, "status": None if f.status == "pending" else f.status,
              "search": f.search}
    return urlencode({k: str(v) for k, v in values.items() if v})


def item_url(row: QueueRow | Detail, query: str = "") -> str:
    if isinstance(row, QueueRow):
        path = f"/review/{row.inspection_id}" if row.inspection_id else f"/review/visit/{row.visit_id}"
    else:
        path = f"/review/{row.inspection.id}" if row.inspection else f"/review/visit/{row.visit.id}"
    return f"{path}?{query}" if query else path


@dataclass(frozen=True)
class Weights:
    gross: int | None
    tare: int | None

    @property
    def net(self) -> int | None:
        return self.gross - self.tare if self.gross is not None and self.tare is not None else None


def item_context(detail: Detail) -> dict[str, Any]:
    insp = detail.inspection
    chart: BarChart | None
    if insp is not None and insp.probs:
        probs = {label: float(insp.probs.get(label, 0.0)) for label in [*LABELS, *insp.probs] if label in insp.probs}
        chart, chart_title = bar_chart(probs, insp.label), "probs"
    else:
        # No stored probabilities: show each classified frame's top-label confidence instead.
        frames = {f"#{i + 1} {CLASS_LABELS.get(f.label, (f.label, ''))[0]} {f.label}": float(f.confidence or 0)
                  for i, f in enumerate(detail.frames) if f.label}
        chart, chart_title = (bar_chart(frames) if frames else None), "frames"
    kinds = {w.kind: w.weight_kg for w in detail.weighings}
    bed = bed_plot(detail.bed_mm, detail.sample.points_m) if detail.sample else None
    return {"d": detail, "chart": chart, "chart_title": chart_title, "bed": bed,
            "weights": Weights(kinds.get("in"), kinds.get("out")), "labels": LABELS,
            "gate": detail.gate_decision, "current": detail.current, "quality_figures": quality_figures}


def unverified_context(bad: dict[str, set[int | str]]) -> dict[str, Any]:
    """What the item page needs to show failing rows as such, not as fact."""
    return {"bad_rows": [f"{table} #{pk}" for table, pks in sorted(bad.items()) for pk in sorted(pks, key=str)],
            "weights_bad": "weighing" in bad, "decisions_bad": "decision" in bad or "review" in bad}


def quality_figures(frame: Any) -> list[tuple[str, str]]:
    """The frame-quality gate's figures for one frame (sharpness, luma, ...), rounded."""
    figures = []
    for name, value in (frame.quality or {}).items():
        if name in ("ok", "reasons") or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        figures.append((name.replace("_", " "), f"{value:.0f}" if abs(value) >= 10 else f"{value:.2f}"))
    return figures


class ReviewPages:
    """The handlers, with what they share. Reads go through a read-only engine (a deferred
    transaction: browsing never takes the write lock the gate needs); only the review post writes."""

    def __init__(self, engine: Engine, templates: Jinja2Templates, zone: str = "UTC",
                 data_dir: Path | None = None) -> None:
        self.engine, self.data_dir = engine, data_dir
        self.reader = read_only(engine)
        self.templates = templates
        self.zone = zone
        self.counter = QueueCounter(self.reader, zone)
        self.counter.warm_up()

    def queue(self, request: Request, who: Principal) -> Response:
        f = parse_filter(request.query_params, self.zone)
        raw_before = request.query_params.get("before")
        before = require_id(raw_before, "before") if raw_before is not None else None
        rows = reviews.queue_page(self.reader, f, before=before, limit=PAGE_SIZE)
        suppliers, materials = reviews.queue_choices(self.reader)
        more = f"/review?{urlencode({**dict(request.query_params), 'before': rows[-1].decision_id})}" \
            if len(rows) == PAGE_SIZE else None
        facets = self.counter.facets(f)
        integrity = state_for(self.engine)
        thumbs = first_frames(self.reader, [r.inspection_id for r in rows if r.inspection_id])
        context = {"bad_decisions": failing(self.engine, self.reader, Decision, [r.decision_id for r in rows]),
                   "integrity_problem": None if integrity.ok else integrity.problem,
                   "who": who, "f": f, "rows": rows, "counts": self.counter.counts(f, facets), "facets": facets,
                   "suppliers": suppliers, "materials": materials, "labels": LABELS, "query": filter_query(f),
                   "more": more, "first_page": before is None, "item_url": item_url, "thumbs": thumbs,
                   "removed": removed_visits(self.reader, [r.visit_id for r in rows if r.inspection_id in thumbs]),
                   "statuses": STATUSES, "supplier_names": dict(suppliers), "material_names": dict(materials), "choice_counts": not f.search, "flagged_count": flagged_count(self.reader),
                   "done": request.query_params.get("done") == "1"}
        return _page(self.templates, request, "review_queue.html", context)

    def show(self, request: Request, who: Principal, visit_id: str | None, error: str | None = None,
             status: int = 200) -> Response:
        detail = reviews.visit_detail(self.reader, visit_id) if visit_id else None
        if detail is None:
            raise HTTPException(status_code=404, detail="no such item")
        f = parse_filter(request.query_params, self.zone)
        bad = detail_failures(self.engine, self.reader, detail)
        context = {"who": who, **item_context(detail), "query": filter_query(f), "error": error,
                   "removal": removal_of(self.reader, detail.visit.id) if detail.frames else None,
                   "model_version": version_of(self.reader, detail.inspection.model_sha256) if detail.inspection else None,
                   "evidence": visit_evidence(self.engine, self.reader, self.data_dir, detail.visit.id),
                   "evidence_base": "/evidence",
                   "repeats": repeat_links(self.reader, detail.visit.id), **spot_check_context(detail, who),
                   **unverified_context(bad)}
        return _page(self.templates, request, "review_item.html", context, status)

    def next_item(self, request: Request, after: int) -> Response:
        f = parse_filter(request.query_params, self.zone)
        # the next one still to look at; flagged loads stay flagged until reviewed
        pending = QueueFilter(**{**f.__dict__, "status": "flagged" if f.status == "flagged" else "pending"})
        rows = reviews.queue_page(self.reader, pending, before=after, limit=1)
        query = filter_query(f)
        if not rows:
            return RedirectResponse(f"/review?{query}&done=1" if query else "/review?done=1", status_code=303)
        return RedirectResponse(item_url(rows[0], query), status_code=303)

    def decide(self, request: Request, post: StaffPost) -> Response:
        form, who = post.form, post.principal
        seen = require_id(form.get("seen", ""), "seen")
        req = reviews.ReviewRequest(visit_id=form.get("visit", "")[:64], seen_decision_id=seen,
                                    reviewer_id=who.user_id, reviewer=who.username,
                                    new_verdict=form.get("verdict", ""), label=form.get("label", ""),
                                    reason=form.get("reason", ""))
        detail = reviews.visit_detail(self.reader, req.visit_id)
        if detail is not None and detail_failures(self.engine, self.reader, detail):
            return self.show(request, who, req.visit_id, "this record fails verification: no review can be "
                             "recorded on it", 409)
        if detail is not None and not spot_check_context(detail, who)["decide_form"]:
            return self.show(request, who, req.visit_id, "a PASS load is spot-checked first; a review follows a "
                             "spot-check that disagrees", 400)
        try:
            reviews.record_review(self.engine, req)
        except reviews.ReviewRejected as exc:
            return self.show(request, who, req.visit_id, str(exc), 400)
        except reviews.StaleReview as exc:
            return self.show(request, who, req.visit_id, str(exc), 409)
        return self._onwards(req.visit_id, form)

    def spot_check(self, request: Request, post: StaffPost) -> Response:
        form, who = post.form, post.principal
        req = spot_request(form, who, require_id(form.get("seen", ""), "seen"))
        detail = reviews.visit_detail(self.reader, req.visit_id)
        if detail is not None and detail_failures(self.engine, self.reader, detail):
            return self.show(request, who, req.visit_id, "this record fails verification: no review can be "
                             "recorded on it", 409)
        refused = record_spot_check(self.engine, req)
        if refused is not None:
            return self.show(request, who, req.visit_id, refused[0], refused[1])
        return self._onwards(req.visit_id, form)

    def _onwards(self, visit_id: str, form: dict[str, str]) -> Response:
        """After a review or spot-check: the next item under the filter the reviewer came with."""
        detail = reviews.visit_detail(self.reader, visit_id)
        assert detail is not None
        query = filter_query(parse_filter(dict(_split_query(form.get("q", "")))))
        target = f"/review/next?after={detail.gate_decision.id}" + (f"&{query}" if query else "")
        return RedirectResponse(target, status_code=303)


def review_router(staff: Staff, engine: Engine, templates: Jinja2Templates, zone: str = "UTC",
                  data_dir: Path | None = None) -> APIRouter:
    router = APIRouter(tags=["review"])
    reviewer = staff.page("reviewer")
    pages = ReviewPages(engine, templates, zone, data_dir)

    @router.get("/review", response_class=HTMLResponse)
    def queue(request: Request, who: Principal = Depends(reviewer)) -> Response:
        return pages.queue(request, who)

    @router.get("/review/next")
    def next_item(request: Request, after: QueryId, who: Principal = Depends(reviewer)) -> Response:
        return pages.next_item(request, after)

    @router.get("/review/visit/{visit_id}", response_class=HTMLResponse)
    def visit_page(request: Request, visit_id: str, who: Principal = Depends(reviewer)) -> Response:
        return pages.show(request, who, visit_id[:64])

    @router.get("/review/{inspection_id:int}", response_class=HTMLResponse)
    def inspection_page(request: Request, inspection_id: PathId, who: Principal = Depends(reviewer)) -> Response:
        return pages.show(request, who, reviews.inspection_visit(pages.reader, inspection_id))

    @router.post("/review/decide")
    def decide(request: Request, post: StaffPost = Depends(staff.post("reviewer"))) -> Response:
        return pages.decide(request, post)

    @router.post("/review/spot-check")
    def spot_check(request: Request, post: StaffPost = Depends(staff.post("reviewer"))) -> Response:
        return pages.spot_check(request, post)

    return router


def _split_query(query: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return [(k, v) for k, v in parse_qsl(query[:2000]) if k in FILTER_KEYS]


def _page(templates: Jinja2Templates, request: Request, name: str, context: dict[str, Any],
          status: int = 200) -> Response:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    # Staff pages hold personal and commercial data: never cached, never stored by proxies.
    response.headers["Cache-Control"] = "no-store"
    return response
