"""Stored UTC times as the people at the site read them: in the site's zone, ISO style.

The database keeps every time in UTC (naive values read back from SQLite are UTC too); only
what a person sees or exports is converted, here and nowhere else. Pages show minutes
(`2026-12-04 14:03`) with the zone's offset in a heading or title; CSV exports carry the full
local time with its offset (`2026-12-04T14:03:22+08:00`) so a spreadsheet can tell the zone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo


def _offset(delta: timedelta | None) -> str:
    minutes = int((delta or timedelta()).total_seconds() // 60)
    sign, minutes = ("+" if minutes >= 0 else "-"), abs(minutes)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class SiteTime:
    """Formats for one site zone (an IANA name, checked on construction)."""
    tz: str = "UTC"
    zone: ZoneInfo = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", ZoneInfo(self.tz))   # unknown name: ZoneInfoNotFoundError

    def local(self, at: datetime) -> datetime:
        aware = at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)
        return aware.astimezone(self.zone)

    def minute(self, at: datetime | None) -> str:
        """`2026-12-04 14:03` in the site's zone; "—" for no time."""
        return "—" if at is None else self.local(at).strftime("%Y-%m-%d %H:%M")

    def second(self, at: datetime | None) -> str:
        return "—" if at is None else self.local(at).strftime("%Y-%m-%d %H:%M:%S")

    def day(self, at: datetime | date | None) -> str:
        if at is None:
            return "—"
        return (self.local(at) if isinstance(at, datetime) else at).strftime("%Y-%m-%d")

    def iso(self, at: datetime) -> str:
        """For exports: local time to the second with its offset, `2026-12-04T14:03:22+08:00`."""
        return self.local(at).replace(microsecond=0).isoformat()

    def offset(self, at: datetime | None = None) -> str:
        """The zone's offset at `at` (default: now; the zones a plant uses rarely change),
        as `UTC+08:00`, for headings such as "Decided (UTC+08:00)"."""
        when = self.local(at) if at is not None else datetime.now(self.zone)
        return _offset(when.utcoffset())

    def today(self, now: datetime | None = None) -> date:
        """The site's date at `now` (default: the clock), where a page's default period ends."""
        return (self.local(now) if now is not None else datetime.now(self.zone)).date()

    def titled(self, at: datetime | None) -> str:
        """The local minute with the offset, for a title attribute or a lone time."""
        return "—" if at is None else f"{self.minute(at)} ({_offset(self.local(at).utcoffset())})"
