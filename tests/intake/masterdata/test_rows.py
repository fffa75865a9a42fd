"""The pure side of a master-data import: decoding, the header, each cell, and the plan (added /
changed / unchanged and every reason a row cannot go in), with hypothesis on the row parser."""
from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.masterdata.csvfile import FileError, decode, read_table
from intake.masterdata.plan import Snapshot, make_plan
from intake.masterdata.rows import MODELS, OrderRow, VehicleRow, clean_reason, clean_tare, parse

ORDER_HEAD = "code,supplier,material,vehicle,expected_kg,open\n"


def orders(text: str):
    table = read_table(text, "UTF-8", OrderRow.required(), OrderRow.OPTIONAL)
    rows, errors = parse(OrderRow, table.records)
    return rows, table.errors + errors


def test_encodings_excel_writes_are_read_and_named():
    text = "code,name\nhx-sand,华鑫砂场\n"
    assert decode(text.encode("utf-8")) == (text, "UTF-8")
    assert decode(codecs.BOM_UTF8 + text.encode("utf-8")) == (text, "UTF-8 with BOM")
    assert decode(text.encode("gb18030")) == (text, "GB18030")
    assert decode(text.encode("gbk"), "gb18030") == (text, "GB18030")


@pytest.mark.parametrize("data, words", [
    (codecs.BOM_UTF16_LE + "code".encode("utf-16-le"), "UTF-16"),
    (b"code,name\nx,\xff\xfe\n", "line 2: not UTF-8 nor GB18030"),
    (codecs.BOM_UTF8 + b"code,name\n\nx,\xc3\n", "line 3: not UTF-8"),
])
def test_undecodable_files_are_named_with_their_line(data, words):
    with pytest.raises(FileError) as caught:
        decode(data)
    assert words in str(caught.value)


@pytest.mark.parametrize("head, expected", [
    ("code,supplier,material,vehicle\n", ["line 1, column expected_kg: missing column"]),
    ("code,supplier,material,vehicle,expected_kg,colour\n", ["line 1, column colour: unknown column"]),
    ("code,code,supplier,material,vehicle,expected_kg\n", ["line 1, column code: column given twice"]),
    ("", ["line 1: the file is empty"]),
])
def test_header_problems_stop_the_file(head, expected):
    with pytest.raises(FileError) as caught:
        orders(head + "PO-1,s,sand,A1,100\n" if head else "")
    assert [str(e)[:len(x)] for e, x in zip(caught.value.errors, expected)] == expected


def test_cells_are_normalised_and_semicolons_and_blank_lines_are_read():
    rows, errors = orders("Code ; Supplier;material;vehicle;expected_kg\n\n po-1 ;hx-sand;sand;沪a·s1001;２４０００\n;;;;\n")
    assert errors == []
    (line, row), = rows
    assert (line, row.code, row.vehicle, row.expected_kg, row.open) == (3, "PO-1", "沪A·S1001", 24000, None)


@pytest.mark.parametrize("cell, message", [
    ("12.5", "not a whole number"), ("1e4", "not a whole number"), ("12,000", "not a whole number"),
    ("-5", "not a whole number"), ("0", "greater than or equal to 1"), ("", "empty"),
])
def test_bad_numbers_name_the_column(cell, message):
    _rows, errors = orders(ORDER_HEAD + f'PO-1,s,sand,A1,"{cell}",yes\n')
    (error,), = [errors]
    assert (error.line, error.column) == (2, "expected_kg") and message in error.message


def test_a_quoted_cell_over_two_lines_keeps_the_next_records_line():
    rows, errors = orders(ORDER_HEAD + 'PO-1,s,sand,A1,100,yes\n"PO-\n2",s,sand,A2,100,no\nPO-3,s,sand,A3,x,\n')
    assert [line for line, _ in rows] == [2]
    assert [(e.line, e.column, e.message) for e in errors] == [
        (3, "code", "contains control characters"), (5, "expected_kg", "not a whole number: 'x' (digits only, no separators)")]


def test_extra_cells_are_an_error_but_trailing_empty_cells_are_not():
    rows, errors = orders(ORDER_HEAD + "PO-1,s,sand,A1,100,yes,,\nPO-2,s,sand,A2,100,yes,oops\n")
    assert len(rows) == 1 and [str(e) for e in errors] == ["line 3: 7 cells, the header has 6"]


SNAP = Snapshot(rows={"PO-1": {"supplier": "s", "material": "sand", "vehicle": "A1", "expected_kg": 100, "open": True},
                      "PO-2": {"supplier": "s", "material": "sand", "vehicle": "A2", "expected_kg": 100, "open": True}},
                suppliers=frozenset({"s", "t"}), materials=frozenset({"sand"}),
                vehicles=frozenset({"A1", "A2", "A3"}), used=frozenset({"PO-2"}),
                tainted={"PO-1": "deliveryorder 1 differs from its change record"})


def plan(text: str):
    rows, errors = orders(ORDER_HEAD + text)
    return make_plan("orders", rows, SNAP, errors)


def test_plan_counts_added_changed_unchanged_and_keeps_a_closed_orders_state():
    p = plan("PO-1,s,sand,A1,100,\nPO-2,s,sand,A2,150\nPO-3,s,sand,A3,100,\n")
    assert p.errors == [] and [(c.key, c.action) for c in p.changes] == [
        ("PO-1", "unchanged"), ("PO-2", "changed"), ("PO-3", "added")]
    assert p.changes[1].fields == {"expected_kg": (100, 150)} and p.changes[2].values["open"] is True


@pytest.mark.parametrize("text, expected", [
    ("PO-3,xx,sand,A3,100\n", "line 2, column supplier: no supplier 'xx'"),
    ("PO-3,s,clay,A3,100\n", "line 2, column material: no material 'clay'"),
    ("PO-3,s,sand,Z9,100\n", "line 2, column vehicle: no vehicle 'Z9'"),
    ("PO-3,s,sand,A3,100\npo-3,s,sand,A3,200\n", "line 3, column code: duplicate code 'PO-3' (first on line 2)"),
    ("PO-1,s,sand,A1,999\n", "line 2: deliveryorder 1 differs from its change record"),
    ("PO-2,t,sand,A2,100\n", "line 2, column supplier: order PO-2 has deliveries: its supplier stays 's'"),
    ("PO-3,s,sand,A1,100\n", "line 2, column vehicle: vehicle A1 would have 2 open orders (PO-1, PO-3)"),
])
def test_plan_errors_name_line_and_column(text, expected):
    errors = [str(e) for e in plan(text).errors]
    assert len(errors) == 1 and errors[0].startswith(expected), errors


def test_a_second_open_order_is_fine_once_the_first_closes_in_the_same_file():
    assert plan("PO-2,s,sand,A2,100,no\nPO-3,s,sand,A2,100,yes\n").errors == []


def test_reason_and_tare_for_the_admin_page():
    assert clean_reason("  re-weighed\n empty  ") == "re-weighed empty"
    for bad in ("", "  ", "ok", "x" * 301):
        with pytest.raises(ValueError):
            clean_reason(bad)
    assert clean_tare(" 14020 ") == 14020
    for bad in ("", "14.5", "-1", "100", "99999"):
        with pytest.raises(ValueError):
            clean_tare(bad)


CELLS = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(CELLS, CELLS, CELLS, CELLS), max_size=8))
def test_any_vehicle_file_parses_to_rows_or_named_errors(cells):
    """Whatever the cells, the parser returns; each record is a row or has errors on its line."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["plate", "supplier", "bed_length_mm", "bed_width_mm"])
    writer.writerows(cells)
    table = read_table(buffer.getvalue(), "UTF-8", VehicleRow.required())
    rows, errors = parse(MODELS["vehicles"], table.records)
    bad_lines = {e.line for e in table.errors + errors}
    assert {line for line, _ in rows}.isdisjoint(bad_lines)
    assert all(e.column is None or e.column in VehicleRow.model_fields for e in errors)
    for _line, row in rows:
        assert isinstance(row, VehicleRow) and row.plate == row.plate.strip().upper() and 2000 <= row.bed_length_mm


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=100_000), st.sampled_from(["{}", " {} ", "{}\t"]))
def test_whole_numbers_round_trip(kg, shape):
    rows, errors = orders(ORDER_HEAD + f"PO-1,s,sand,A1,{shape.format(kg)},\n")
    assert errors == [] and rows[0][1].expected_kg == kg


def test_a_line_with_a_bad_cell_still_has_its_references_checked():
    from intake.masterdata.rows import references

    table = read_table(ORDER_HEAD + "PO-3,xx,sand,z9,12.5,\nPO-4,s,sand,A3,bad,\n", "UTF-8",
                       OrderRow.required(), OrderRow.OPTIONAL)
    rows, errors = parse(OrderRow, table.records)
    p = make_plan("orders", rows, SNAP, errors, references(OrderRow, table.records, errors))
    assert [str(e) for e in p.errors] == [
        "line 2, column expected_kg: not a whole number: '12.5' (digits only, no separators)",
        "line 2, column supplier: no supplier 'xx'",
        "line 2, column vehicle: no vehicle 'Z9'",
        "line 3, column expected_kg: not a whole number: 'bad' (digits only, no separators)"]
