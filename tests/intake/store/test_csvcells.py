"""CSV cells are neutralised per OWASP: the cell start and every `;`/`,`-separated piece."""
from __future__ import annotations

import csv
import io

import pytest

from intake.store import reviews
from intake.store.csvcells import neutralise


@pytest.mark.parametrize("raw,safe", [
    ("=1+1", "'=1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("-2", "'-2"), ("+1", "'+1"), ("\t=x", "'\t=x"), ("\r=x", "'\r=x"),
    ("ok;=HYPERLINK(\"http://x\")", "ok;'=HYPERLINK(\"http://x\")"), ("a;@SUM(A1)", "a;'@SUM(A1)"),
    ("a, +1", "a, '+1"), ("a;b", "a;b"), ("reviewed:=cmd", "reviewed:=cmd"), ("x=1", "x=1"), ("", ""),
    ("=a;=b,-c", "'=a;'=b,'-c"),
])
def test_formula_starts_are_prefixed(raw: str, safe: str) -> None:
    assert neutralise(raw) == safe


def test_numbers_and_empty_values_pass_unchanged() -> None:
    assert [neutralise(v) for v in (-5, 1.5, None)] == [-5, 1.5, None]


def test_export_lines_carry_no_formula_after_a_separator() -> None:
    text = "".join(reviews._csv_lines(["a"], iter([["muddy;=HYPERLINK(\"http://evil\",\"x\")"], ["n;@SUM(A1)"]])))
    cells = [row[0] for row in csv.reader(io.StringIO(text))][1:]
    for cell in cells:
        for piece in cell.replace(",", ";").split(";"):
            assert piece.lstrip(" ")[:1] not in "=+-@\t\r" or not piece, cell
