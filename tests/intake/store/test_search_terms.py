"""What one search box's text may mean (intake.store.search.terms): pure."""
from __future__ import annotations

from intake.store.search import MAX_TERM, Terms, terms


def test_a_plate_typed_without_its_dot_is_also_read_with_it() -> None:
    found = terms(" 沪as1001 ")
    assert found.plates == ("沪AS1001", "沪A·S1001")
    assert found.blind_code is None and found.visit is None


def test_digits_are_also_a_blind_code_and_hex_also_a_visit() -> None:
    assert terms("12345678").blind_code == 12_345_678
    assert terms("12345678").visit == "12345678"               # eight digits are hex too
    assert terms("0A80-5C8F").visit == "0a80-5c8f" and terms("0A80-5C8F").blind_code is None
    assert terms("abc").visit is None                            # too short to name a visit


def test_empty_and_overlong_text() -> None:
    assert terms("   ").empty and terms("") == Terms()
    assert len(terms("x" * 500).orders[0]) == MAX_TERM
