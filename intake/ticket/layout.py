"""What a ticket says, line by line, Chinese first with English beside: one layout that the
PDF, the thermal receipt and the public page all show, so paper and screen agree."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from intake.ticket.tables import Ticket
from intake.web.i18n import VERDICT_LABELS, format_weight, reason

TITLE = ("称重磅单", "Weighing ticket")
REPRINT = ("补打", "COPY")
SCAN = ("扫码核验", "Scan to verify")
NOT_SAMPLED = ("未抽检", "not sampled")
NOT_RECEIVED = ("未收货，原车带回", "not received, left with its load")


@dataclass(frozen=True)
class Row:
    zh: str
    en: str
    value: str

    @property
    def label(self) -> str:
        return f"{self.zh} {self.en}"


@dataclass(frozen=True)
class TicketLayout:
    plant: str
    number: str
    reprint: bool
    rows: list[Row]
    verify_url: str
    code: str

    @property
    def grouped_code(self) -> str:
        """The code as a person reads it off the paper: four groups of four."""
        return "-".join(self.code[i:i + 4] for i in range(0, len(self.code), 4))


def verify_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/t/{code}"


def number_text(number: int) -> str:
    return f"{number:08d}"


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return "—"
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def _kg(weight: int | None) -> str:
    return "—" if weight is None else f"{format_weight(weight)} kg"


def _verdict(t: Ticket) -> str:
    zh, en = VERDICT_LABELS.get(t.verdict, NOT_SAMPLED) if t.verdict else NOT_SAMPLED
    return f"{zh} {en}"


def _scale(t: Ticket) -> str:
    e = "—" if t.scale_e_kg is None else f"{t.scale_e_kg:g} kg"
    top = "—" if t.scale_max_kg is None else f"{format_weight(t.scale_max_kg)} kg"
    return f"{t.indicator or '—'}, Max {top}, e = {e}"


def _second(t: Ticket, zone: ZoneInfo) -> Row:
    """The second weight: an exit weight, a weighed tare, or a stored tare with its date."""
    if t.second_kind != "tare":
        return Row("出场重", "Exit weight", _kg(t.second_kg))
    if t.tare_source == "weighed":
        return Row("皮重", "Tare (weighed)", _kg(t.second_kg))
    at = t.tare_at
    dated = f" ({(at if at.tzinfo else at.replace(tzinfo=timezone.utc)).astimezone(zone):%Y-%m-%d})" if at else ""
    return Row("皮重（存储）", "Tare (stored)", f"{_kg(t.second_kg)}{dated}")


def layout(t: Ticket, base_url: str, tz: str = "UTC", reprint: bool = False) -> TicketLayout:
    zone = ZoneInfo(tz)
    second = _second(t, zone)
    net = _kg(t.net_kg) if t.received else f"0 kg ({NOT_RECEIVED[0]} {NOT_RECEIVED[1]})"
    rows = [
        Row("磅单号", "Ticket no.", number_text(t.number)),
        Row("车道", "Lane", t.lane),
        Row("车牌", "Plate", t.plate),
        Row("供应商", "Supplier", f"{t.supplier_name} ({t.supplier_code})"),
        Row("订单", "Order", t.order_code),
        Row("材料", "Material", f"{t.material_name_zh} {t.material_name}"),
        Row("毛重", "Gross", _kg(t.gross_kg)),
        second,
        Row("净重", "Net", net),
        Row("进场称重", "Weighed in", _when(t.weighed_in_at, zone)),
        Row("出场称重", "Weighed out", _when(t.weighed_out_at, zone)),
        Row("衡器", "Scale", _scale(t)),
        Row("判定", "Verdict", _verdict(t)),
    ]
    if t.reasons:
        rows.append(Row("原因", "Reasons", "; ".join(" ".join(reason(str(r))) for r in t.reasons)))
    rows.append(Row("盲样号", "Blind sample", "—" if t.blind_code is None else f"{t.blind_code:08d}"))
    rows.append(Row("开票时间", "Issued", f"{_when(t.issued_at, zone)} ({tz})"))
    return TicketLayout(t.plant, number_text(t.number), reprint, rows, verify_url(base_url, t.code), t.code)
