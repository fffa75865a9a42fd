"""What an alarm says: Chinese first, English beside; plate, lane, the reasons in words, the time
in the site's zone. Pure: an AlarmEvent in, text out."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from intake.web.i18n import REFUSALS
from intake.web.i18n import reason as reason_words

TITLES: dict[str, tuple[str, str]] = {
    "reject": ("拒收", "Load rejected"),
    "review_waiting": ("待复核超时", "REVIEW waiting too long"),
    "lane_closed": ("车道停止服务", "Lane out of service"),
    "device_fault": ("设备故障", "Device fault"),
    "chain_failure": ("记录校验失败", "Records fail verification"),
    "disk_low": ("磁盘空间不足", "Disk space low"),
    "test": ("测试告警", "Test alarm"),
}
DETAIL_MAX = 300   # characters of detail in a message (a robot's text is at most 2048 bytes)
# The namespace of delivery ids (uuid5): fixed forever, or every id a receiver keeps changes.
DELIVERY_NS = uuid.UUID("6b1f4f2e-3c1d-5a8e-9a41-2d7c0e9b5f10")


class AlarmEvent(BaseModel):
    """One thing worth telling someone. `key` tells repeats of the same fact apart from new ones
    (a visit, a fault name); the rate limit counts per rule and lane."""
    model_config = ConfigDict(frozen=True)
    event: str
    at: datetime
    key: str = Field(max_length=200)
    lane: str | None = None
    plate: str | None = None
    visit: str | None = None
    reasons: list[str] = Field(default_factory=list)
    faults: list[str] = Field(default_factory=list)   # lane or device fault codes (gate_io_frozen, store:full)
    detail: str = ""           # free text: a fault's name, the free space, the chain's problem
    # review_waiting: the rule's after_min; disk_low: the rule's below_gb (the rule it is for)
    threshold: float | None = None


def delivery_id(site: str, rule: str, key: str, channel: str) -> str:
    """The id one alarm carries to one channel, the same on every try: a crash between a send
    and its "sent" mark sends it again, and the receiver drops the copy by this id. It depends
    only on what the alarm is (site, rule, fact, channel), not on outbox row numbers, so a copy
    sent past the outbox (the store failing) carries the same id as the outbox's own try."""
    return str(uuid.uuid5(DELIVERY_NS, "\n".join((site, rule, key, channel))))


def _reasons(codes: list[str]) -> tuple[str, str]:
    words = [reason_words(c) for c in codes]
    return "；".join(w[0] for w in words), "; ".join(w[1] for w in words)


def fault_words(code: str) -> tuple[str, str]:
    """A fault code as the kiosk words it (store:full, watchdog:scale:..., barrier_entry_not_open)."""
    for key in (code, code.split(":", 1)[0]):
        if key in REFUSALS:
            return REFUSALS[key]
    return code, code


def _faults(codes: list[str]) -> tuple[str, str]:
    words = [fault_words(c) for c in codes]
    return "；".join(w[0] for w in words), "; ".join(w[1] for w in words)


def lines(ev: AlarmEvent, site: str, tz: str, suppressed: int = 0, delivery: str | None = None) -> list[str]:
    """The message, one line per fact, each line `中文 English: value`."""
    zh, en = TITLES.get(ev.event, (ev.event, ev.event))
    local = ev.at.astimezone(ZoneInfo(tz))
    out = [f"【{site} 告警 Alarm】{zh} {en}"]
    if ev.lane is not None:
        out.append(f"车道 Lane: {ev.lane}")
    if ev.plate:
        out.append(f"车牌 Plate: {ev.plate}")
    if ev.visit:
        out.append(f"车次 Visit: {ev.visit}")
    if ev.reasons:
        rzh, ren = _reasons(ev.reasons)
        out.append(f"原因 Reason: {rzh} / {ren}")
    if ev.faults:
        fzh, fen = _faults(ev.faults)
        out.append(f"故障 Fault: {fzh} / {fen} ({', '.join(ev.faults)})")
    if ev.detail:
        detail = ev.detail if len(ev.detail) <= DETAIL_MAX else ev.detail[:DETAIL_MAX - 1] + "…"
        out.append(f"详情 Detail: {detail}")
    out.append(f"时间 Time: {local:%Y-%m-%d %H:%M:%S} ({tz})")
    if suppressed:
        out.append(f"此前 {suppressed} 条同类告警被限流 / {suppressed} similar alarm(s) held back by the rate limit")
    if delivery:
        out.append(f"编号 ID: {delivery}")   # a person seeing the same id twice knows it is a copy
    return out


def text(ev: AlarmEvent, site: str, tz: str, suppressed: int = 0, delivery: str | None = None) -> str:
    return "\n".join(lines(ev, site, tz, suppressed, delivery))


def subject(ev: AlarmEvent, site: str) -> str:
    zh, en = TITLES.get(ev.event, (ev.event, ev.event))
    where = f" 车道 Lane {ev.lane}" if ev.lane is not None else ""
    plate = f" {ev.plate}" if ev.plate else ""
    return f"[{site}] {zh} {en}{where}{plate}"


def fields(ev: AlarmEvent, site: str, tz: str, suppressed: int = 0, delivery: str | None = None) -> dict[str, Any]:
    """The plain-JSON channel's body: every fact as its own field, and the text."""
    zh, en = TITLES.get(ev.event, (ev.event, ev.event))
    rzh, ren = _reasons(ev.reasons)
    fzh, fen = _faults(ev.faults)
    return {"site": site, "event": ev.event, "title_zh": zh, "title_en": en, "lane": ev.lane,
            "plate": ev.plate, "visit": ev.visit, "reasons": list(ev.reasons), "reasons_zh": rzh,
            "reasons_en": ren, "faults": list(ev.faults), "faults_zh": fzh, "faults_en": fen, "detail": ev.detail, "at": ev.at.isoformat(),
            "at_local": ev.at.astimezone(ZoneInfo(tz)).isoformat(), "timezone": tz,
            "suppressed": suppressed, "delivery_id": delivery, "text": text(ev, site, tz, suppressed, delivery)}
