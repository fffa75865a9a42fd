"""The supplier chart's months are the site's: a reject decided at 23:30 UTC on 31 May is a
June reject in Shanghai (UTC+8) and a May one in UTC; the period's days are the site's too."""
from __future__ import annotations

from datetime import date, datetime, timezone

from intake.store.supplier_rates import reject_rates
from tests.intake.web.review_seed import add_item, plates
from tests.intake.web.staff_support import Store

LATE_MAY_UTC = datetime(2026, 5, 31, 23, 30, tzinfo=timezone.utc)


def months(rows, supplier_material: tuple[str, str]) -> dict[str, tuple[int, int, int]]:
    return {r.month: (r.sampled, r.rejected, r.held) for r in rows if (r.supplier, r.material) == supplier_material}


def test_months_and_days_follow_the_site_zone(store: Store) -> None:
    sand, _ = plates()
    add_item(store.engine, store.data_dir, plate=sand, verdict="reject", label="muddy", reasons=["muddy"],
             at=LATE_MAY_UTC)
    add_item(store.engine, store.data_dir, plate=sand, verdict="review", label="muddy", reasons=["low_confidence"],
             at=LATE_MAY_UTC.replace(day=15))
    shanghai = reject_rates(store.engine, date(2026, 5, 1), date(2026, 6, 30), "Asia/Shanghai")
    utc = reject_rates(store.engine, date(2026, 5, 1), date(2026, 6, 30), "UTC")
    key = next((r.supplier, r.material) for r in shanghai)
    assert months(shanghai, key) == {"2026-05": (1, 0, 1), "2026-06": (1, 1, 0)}
    assert months(utc, key) == {"2026-05": (2, 1, 1)}
    # 1 June, Shanghai's day, holds the late-May-UTC reject; UTC's 1 June does not.
    assert months(reject_rates(store.engine, date(2026, 6, 1), date(2026, 6, 1), "Asia/Shanghai"), key) == {
        "2026-06": (1, 1, 0)}
    assert reject_rates(store.engine, date(2026, 6, 1), date(2026, 6, 1), "UTC") == []
