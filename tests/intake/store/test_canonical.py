"""Canonical serialisation: one byte string per value, injective across the tagged types."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given, strategies as st

from intake.store.canonical import canonical_bytes


def test_keys_are_sorted_and_separators_compact():
    assert canonical_bytes({"b": 1, "a": [True, None, "砂"]}) == '{"a":[true,null,"砂"],"b":1}'.encode()


def test_floats_ints_and_decimals_never_collide():
    values = [1, 1.0, Decimal("1"), Decimal("1.0"), "1", {"$f": "1.0"}, 0.1 + 0.2, 0.3]
    encoded = [canonical_bytes(v) for v in values]
    assert len(set(encoded)) == len(values)


def test_naive_and_aware_utc_datetimes_agree_and_other_zones_convert():
    naive = datetime(2026, 5, 1, 8, 30, 0, 123456)
    aware = naive.replace(tzinfo=timezone.utc)
    shanghai = aware.astimezone(timezone(timedelta(hours=8)))
    assert canonical_bytes(naive) == canonical_bytes(aware) == canonical_bytes(shanghai)
    assert canonical_bytes(aware) == b'{"$t":"2026-05-01T08:30:00.123456Z"}'


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12)


@given(json_values, json_values)
def test_different_values_encode_differently(a, b):
    if canonical_bytes(a) == canonical_bytes(b):
        assert repr(a) == repr(b) or (a == b and type(a) is type(b))
