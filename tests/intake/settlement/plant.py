"""A gate database with deliveries of both demo suppliers over several days, written through
the store's own API (Records for admission, chained ORM rows with the times given, then the
gate's ticket issue): delivered loads, loads sent back (REJECT, REVIEW), unsampled trucks."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from hardware.sim.trucks import DEMO_MIX
from intake.demo import masterdata
from intake.lab.results import attach_result
from intake.store.records import Admission, Records, was_received
from intake.store.tables import Decision, DeliveryOrder, Sample, Supplier, Visit, Weighing
from intake.ticket.issue import issue_ticket

PLANT = "Plant 7"
DAY0 = datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc)   # the seeds' first morning (UTC)
SAND = next(t for t in DEMO_MIX if "·S" in t.plate and t.registered)
GRAVEL = next(t for t in DEMO_MIX if "·S" not in t.plate and t.registered)
VERDICTS = ("pass", "reject", "pass", "review", None, "pass")


@dataclass(frozen=True)
class Delivered:
    visit: str
    plate: str
    verdict: str | None
    out_at: datetime
    net_kg: int


def deliver(records: Records, plate: str, gross: int, second: int, verdict: str | None, at: datetime,
            blind_code: int | None = None) -> str:
    """One truck: admitted, weighed in at `at`, decided, weighed out 20 min later, ticketed."""
    adm = records.admit(plate, "1")
    assert isinstance(adm, Admission), adm
    with Session(records.engine) as session:
        session.add(Weighing(visit_id=adm.visit, kind="in", weight_kg=gross, scale_port="pty", recorded_at=at))
        if blind_code is not None:
            session.add(Sample(visit_id=adm.visit, blind_code=blind_code, draw=0.01, points_m=[[1.0, 1.0]],
                               recorded_at=at + timedelta(minutes=2)))
        session.add(Decision(visit_id=adm.visit, verdict=verdict, reasons=[] if verdict in (None, "pass") else ["muddy"],
                             label=None, decided_at=at + timedelta(minutes=5)))
        session.add(Weighing(visit_id=adm.visit, kind="out", weight_kg=second, scale_port="pty",
                             recorded_at=at + timedelta(minutes=20)))
        session.commit()
    issue_ticket(records.engine, adm.visit, PLANT)
    return adm.visit


def seed_plant(records: Records, days: int = 3, per_day: int = 6, start: int = 0) -> list[Delivered]:
    """`per_day` trucks a day alternating sand and gravel, verdicts cycling through VERDICTS."""
    masterdata.seed(records.engine, [SAND, GRAVEL])
    out = []
    for day in range(days):
        for i in range(per_day):
            n = start + day * per_day + i
            truck = (SAND, GRAVEL)[n % 2]
            verdict = VERDICTS[n % len(VERDICTS)]
            gross = truck.tare_kg + truck.load_kg + 20 * n
            received = verdict in (None, "pass")
            second = truck.tare_kg + 20 * (n % 3) if received else gross - 40
            at = DAY0 + timedelta(days=day, hours=i)
            code = 50_000_000 + n if verdict is not None else None
            visit = deliver(records, truck.plate, gross, second, verdict, at, code)
            out.append(Delivered(visit, truck.plate, verdict, at + timedelta(minutes=20),
                                 gross - second if received else 0))
    return out


def add_lab(records: Records, blind_code: int, verdict: str) -> None:
    attach_result(records.engine, blind_code, "silt_pct", "2.4" if verdict == "pass" else "7.9", "%", "Lab A", verdict)


def weighings_net(engine: Engine, start: datetime, end: datetime, supplier: str | None = None) -> tuple[int, int]:
    """(trucks, net kg) from the weighings themselves: every visit weighed out in [start, end),
    net = weigh-in - weigh-out for a load the decision in force at the weigh-out let in, else 0."""
    trucks = net = 0
    with Session(engine) as session:
        outs = session.exec(select(Weighing).where(Weighing.kind == "out")).all()
        for w_out in outs:
            at = w_out.recorded_at if w_out.recorded_at.tzinfo else w_out.recorded_at.replace(tzinfo=timezone.utc)
            if not start <= at < end:
                continue
            visit = session.get(Visit, w_out.visit_id)
            order = session.get(DeliveryOrder, visit.order_id)
            if supplier is not None and session.get(Supplier, order.supplier_id).code != supplier:
                continue
            w_in = session.exec(select(Weighing).where(Weighing.visit_id == visit.id, Weighing.kind == "in")).one()
            decisions = list(session.exec(select(Decision).where(Decision.visit_id == visit.id).order_by(Decision.id)))
            trucks += 1
            net += w_in.weight_kg - w_out.weight_kg if was_received(decisions, w_out.recorded_at) else 0
    return trucks, net
