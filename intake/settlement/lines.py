"""One settlement line per delivery, as the ERP reads it: the pure part (no database).

A delivery is a visit that weighed out, so reached its decision, and got its weighing ticket:
the ticket is the gate's chained statement of it (intake.ticket). A line carries the ticket's
facts (order, supplier, material, weights, net, times, lane, plate), the decision in force now
(a review may have changed it since), the lab's result if any, and whether the chain vouches
for the records it rests on. A line that does not verify carries no weights, net or verdict:
a forged figure is never exported as fact (as the visits export does).
"""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

FAILS: Final[str] = "record fails verification"
NOT_CHECKED: Final[str] = "not checked"

COLUMNS: Final[tuple[str, ...]] = (
    "site", "record_id", "ticket", "order", "supplier", "material", "lane", "plate", "weighed_in_at",
    "weighed_out_at", "gross_kg", "second_kg", "second_kind", "received", "net_kg", "verdict",
    "gate_verdict", "reasons", "lab", "lab_results", "verified")


class Delivery(BaseModel):
    """One delivery line. Times are aware datetimes (UTC as stored); `as_row`/`as_json` show
    them in the zone asked for, ISO-8601 with the offset."""
    model_config = ConfigDict(frozen=True)

    site: str
    record_id: str                 # the delivery's id (the visit's UUID): idempotency key for the ERP
    ticket: int
    order: str
    supplier: str
    material: str
    lane: str
    plate: str
    weighed_in_at: datetime | None
    weighed_out_at: datetime
    gross_kg: int | None
    second_kg: int | None          # the weigh-out: a tare, or the exit weight of a truck sent back
    second_kind: str               # tare | exit
    received: bool
    net_kg: int | None             # 0 for a truck that left with its load; None when not verified
    verdict: str | None            # the decision in force now: pass | reject | review | None (not sampled)
    gate_verdict: str | None       # the decision on the ticket (what routed the truck)
    reasons: list[str]
    lab: Literal["pass", "fail", "reported"] | None
    lab_results: str               # "property=value unit[ pass|fail]; ..." as the lab reported them
    verified: bool | None          # True: the chain vouches; False: it does not; None: not checked

    def withheld(self) -> "Delivery":
        """The line as shown when the chain does not vouch: identity kept, no figures."""
        return self.model_copy(update={"gross_kg": None, "second_kg": None, "net_kg": None, "verdict": None,
                                       "gate_verdict": None, "reasons": [], "lab": None, "lab_results": "",
                                       "verified": False})


def iso(moment: datetime | None, zone: tzinfo) -> str:
    if moment is None:
        return ""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(zone).isoformat()


def _verified_text(flag: bool | None) -> str:
    return NOT_CHECKED if flag is None else ("yes" if flag else FAILS)


def as_row(d: Delivery, zone: tzinfo) -> tuple[object, ...]:
    """The CSV row, in COLUMNS order (None as an empty cell)."""
    return (d.site, d.record_id, d.ticket, d.order, d.supplier, d.material, d.lane, d.plate,
            iso(d.weighed_in_at, zone), iso(d.weighed_out_at, zone), d.gross_kg, d.second_kg, d.second_kind,
            "yes" if d.received else "no", d.net_kg, d.verdict or "", d.gate_verdict or "", ";".join(d.reasons),
            d.lab or "", d.lab_results, _verified_text(d.verified))


def as_json(d: Delivery, zone: tzinfo) -> dict[str, object]:
    out: dict[str, object] = d.model_dump()
    out["weighed_in_at"] = iso(d.weighed_in_at, zone) or None
    out["weighed_out_at"] = iso(d.weighed_out_at, zone)
    return out


def lab_summary(results: Sequence[tuple[str, str, str, str | None]]) -> tuple[Literal["pass", "fail", "reported"] | None, str]:
    """(property, value, unit, verdict) rows → the lab's overall word and the text of its figures:
    fail if any result failed, pass if every result passed, reported if figures came without a
    verdict; None without results."""
    if not results:
        return None, ""
    verdicts = [v for *_, v in results]
    word: Literal["pass", "fail", "reported"] = (
        "fail" if "fail" in verdicts else "pass" if all(v == "pass" for v in verdicts) else "reported")
    text = "; ".join(f"{p}={v} {u}" + (f" {x}" if x else "") for p, v, u, x in results)
    return word, text


# ---- the filter: days in the plant's zone --------------------------------------------------

@dataclass(frozen=True)
class Window:
    """Deliveries weighed out in [start, end) (aware UTC), optionally of one supplier code."""
    start: datetime
    end: datetime
    supplier: str | None = None


class BadArgument(ValueError):
    """An argument that names no valid window, cursor or format; the message names the field."""


MAX_SPAN_DAYS: Final[int] = 3 * 366
SUMMARY_PAGE_DAYS: Final[int] = 31   # days the summary reads in one go (one API page)


def window(since: str, until: str, zone: tzinfo, supplier: str | None = None,
           max_days: int | None = MAX_SPAN_DAYS) -> Window:
    """Days [since, until] (inclusive, YYYY-MM-DD) in `zone`, as a UTC window; `max_days`
    None: any span."""
    first, last = days(since, until)
    if max_days is not None and (last - first).days >= max_days:
        raise BadArgument(f"from..to: at most {max_days} days")
    return days_window(first, last, zone, _supplier(supplier))


def days(since: str, until: str) -> tuple[date, date]:
    """The first and last day of a period as typed; BadArgument names the field."""
    first = _day(since, "from")
    last = _day(until, "to")
    if last < first:
        raise BadArgument(f"to: {until} is before from {since}")
    return first, last


def _supplier(supplier: str | None) -> str | None:
    if supplier is not None and not supplier.strip():
        raise BadArgument("supplier: empty")
    return supplier.strip() if supplier else None


def days_window(first: date, last: date, zone: tzinfo, supplier: str | None = None) -> Window:
    start = datetime.combine(first, time.min, tzinfo=zone).astimezone(timezone.utc)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone).astimezone(timezone.utc)
    return Window(start, end, supplier)


@dataclass(frozen=True)
class SummaryPage:
    """One stretch of a summary's period: days [first, last], and the first day of the next
    stretch (None on the last)."""
    first: date
    last: date
    next: date | None
    window: Window


def summary_pages(since: str, until: str, zone: tzinfo, supplier: str | None = None,
                  page_days: int = SUMMARY_PAGE_DAYS) -> Iterator[SummaryPage]:
    """Any period as stretches of at most `page_days` days, oldest first: each is summarised
    on its own, so memory holds one stretch's day x supplier rows whatever the period's length."""
    first, last = days(since, until)
    who = _supplier(supplier)
    while first <= last:
        end = min(last, first + timedelta(days=page_days - 1))
        following = end + timedelta(days=1)
        yield SummaryPage(first, end, following if following <= last else None, days_window(first, end, zone, who))
        first = following


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise BadArgument(f"{name}: {text!r} is not a date (YYYY-MM-DD)") from None


# ---- the cursor -----------------------------------------------------------------------------

CURSOR_VERSION: Final[int] = 1


def encode_cursor(positions: dict[str, int]) -> str:
    """An opaque cursor for positions (a source → the last id delivered from it). The ERP keeps
    the text and hands it back; it is URL-safe and stable (the same position, the same text)."""
    body = json.dumps({"v": CURSOR_VERSION, "p": dict(sorted(positions.items()))}, separators=(",", ":"))
    return base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")


def decode_cursor(text: str | None) -> dict[str, int]:
    """The positions of a cursor; empty (from the start) for None or "". BadArgument names `after`."""
    if not text:
        return {}
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        body = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadArgument("after: not a cursor this API handed out") from None
    if not isinstance(body, dict) or body.get("v") != CURSOR_VERSION or not isinstance(body.get("p"), dict):
        raise BadArgument("after: not a cursor this API handed out")
    positions = body["p"]
    if not all(isinstance(k, str) and type(v) is int and v >= 0 for k, v in positions.items()):
        raise BadArgument("after: not a cursor this API handed out")
    return dict(positions)


# ---- the summary ----------------------------------------------------------------------------

class SummaryRow(BaseModel):
    """One day (in the plant's zone) and supplier: trucks, what was received, what was not."""
    day: date
    supplier: str
    trucks: int = 0
    received_trucks: int = 0
    received_kg: int = 0
    rejected: int = 0              # verdict in force now: reject
    held: int = 0                  # verdict in force now: review (still held for a person)
    unverified: int = 0            # lines the chain does not vouch for: not in the figures

    @property
    def tonnes(self) -> float:
        return self.received_kg / 1000


def summarise(lines: Iterable[Delivery], zone: tzinfo) -> list[SummaryRow]:
    """Fold lines into one row per (day, supplier); memory grows with days x suppliers only."""
    rows: dict[tuple[date, str], SummaryRow] = {}
    for d in lines:
        day = d.weighed_out_at.astimezone(zone).date()
        row = rows.get((day, d.supplier))
        if row is None:
            row = rows[(day, d.supplier)] = SummaryRow(day=day, supplier=d.supplier)
        row.trucks += 1
        if d.verified is False:
            row.unverified += 1
            continue
        if d.received:
            row.received_trucks += 1
            row.received_kg += d.net_kg or 0
        row.rejected += d.verdict == "reject"
        row.held += d.verdict == "review"
    return [rows[k] for k in sorted(rows)]


def summary_json(row: SummaryRow) -> dict[str, object]:
    return {**row.model_dump(mode="json"), "tonnes": row.tonnes}
