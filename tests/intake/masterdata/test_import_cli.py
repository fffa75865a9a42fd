"""`intake materials|suppliers|vehicles|orders import` on a real gate database: good files go
in with a chained change record per row, every bad file is refused whole (exit 1, the error
table, nothing written), a dry run writes nothing, a second import changes nothing, and
`intake audit verify` still finds nothing afterwards."""
from __future__ import annotations

import codecs
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from intake.cli.main import app
from intake.store.db import open_engine
from intake.store.master_changes import MasterChange
from intake.store.tables import ChainLink, DeliveryOrder, Vehicle

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "fixtures" / "masterdata"
KEY = b"test-site-audit-key-0123456789"
ORDER_HEAD = "code,supplier,material,vehicle,expected_kg,open\n"


class Gate:
    def __init__(self, tmp: Path) -> None:
        self.path = tmp / "gate.db"
        self.url = f"sqlite:///{self.path}"
        (tmp / "audit.key").write_bytes(KEY)
        self.key = f"file:{tmp / 'audit.key'}"
        self.tmp = tmp
        open_engine(self.url, KEY).dispose()

    def run(self, kind: str, file: Path, *extra: str):
        args = [kind, "import", str(file), "--db", self.url, "--key", self.key, *extra]
        if "--dry-run" not in extra and "--no-by" not in extra:
            args += ["--by", "王工 (quality)"]
        return CliRunner().invoke(app, [a for a in args if a != "--no-by"])

    def file(self, name: str, text: str, encoding: str = "utf-8") -> Path:
        path = self.tmp / name
        path.write_bytes(text.encode(encoding))
        return path

    def state(self) -> tuple[int, int, int, int]:
        """(vehicles, orders, change records, chain links): what an import could write."""
        engine = open_engine(self.url, KEY, migrate=False)
        with Session(engine) as s:
            counts = tuple(s.exec(select(func.count()).select_from(t)).one()
                           for t in (Vehicle, DeliveryOrder, MasterChange, ChainLink))
        engine.dispose()
        return counts  # type: ignore[return-value]

    def verify(self) -> dict:
        done = subprocess.run([sys.executable, "-m", "intake", "audit", "verify", "--db", self.url,
                               "--key", self.key, "--json"], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(done.stdout)


@pytest.fixture
def gate(tmp_path: Path) -> Gate:
    g = Gate(tmp_path)
    for kind in ("materials", "suppliers", "vehicles", "orders"):
        done = g.run(kind, FIXTURES / f"{kind}.csv", "--json")
        assert done.exit_code == 0, done.stderr + done.stdout
    return g


def test_the_demo_files_go_in_recorded_and_the_chain_verifies(gate: Gate) -> None:
    assert gate.state()[:3] == (3, 3, 10)
    engine = open_engine(gate.url, KEY, migrate=False)
    with Session(engine) as s:
        change = s.exec(select(MasterChange).where(MasterChange.table_name == "deliveryorder")).first()
    assert change is not None and change.by == "王工 (quality)" and change.old is None
    assert "imported from orders.csv" in change.why and "sha256" in change.why and change.why.endswith("(line 2)")
    report = gate.verify()
    assert report["ok"] and report["problems"] == [] and report["records"] == 10


def test_re_importing_the_same_files_changes_nothing(gate: Gate) -> None:
    before = gate.state()
    for kind in ("materials", "suppliers", "vehicles", "orders"):
        done = gate.run(kind, FIXTURES / f"{kind}.csv", "--json")
        summary = json.loads(done.stdout.splitlines()[-1])
        assert done.exit_code == 0 and (summary["added"], summary["changed"], summary["written"]) == (0, 0, 0)
    assert gate.state() == before


def test_a_change_is_recorded_old_to_new_with_its_line(gate: Gate) -> None:
    path = gate.file("orders2.csv", ORDER_HEAD + "PO-2026-0001,hx-sand,sand,沪A·S2001,24000,\n"
                                                 "PO-2026-0002,hx-sand,sand,沪A·S2002,26000,no\n")
    done = gate.run("orders", path)
    assert done.exit_code == 0, done.stderr
    assert "26000" in done.stdout and "changed" in done.stdout    # the changes table and the summary
    engine = open_engine(gate.url, KEY, migrate=False)
    with Session(engine) as s:
        last = s.exec(select(MasterChange).order_by(MasterChange.id.desc())).first()   # type: ignore[union-attr]
    assert last is not None and last.why.endswith("(line 3)")
    assert (last.old["expected_kg"], last.new["expected_kg"], last.old["is_open"], last.new["is_open"]) == (
        24000, 26000, True, False)
    assert gate.verify()["ok"]


def test_dry_run_writes_nothing_and_needs_no_name(gate: Gate) -> None:
    before = gate.state()
    path = gate.file("v.csv", "plate,supplier,bed_length_mm,bed_width_mm\n沪A·S2009,hx-sand,7200,2350\n"
                              "沪A·S2001,hx-sand,7300,2350\n")
    done = gate.run("vehicles", path, "--dry-run", "--json")
    assert done.exit_code == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["dry_run"], summary["added"], summary["changed"], summary["written"]) == (True, 1, 1, 0)
    assert gate.state() == before


BAD_ORDERS = [
    ("code,supplier,material,vehicle,open\nPO-9,hx-sand,sand,沪A·S2001,yes\n", 1, "expected_kg", "missing column"),
    (ORDER_HEAD + "PO-9,xx,sand,沪A·S2009,100,no\n", 2, "supplier", "no supplier 'xx'"),
    (ORDER_HEAD + "PO-9,xx,sand,沪A·S2001,1.5,no\n", 2, "supplier", "no supplier 'xx'"),   # beside a bad number
    (ORDER_HEAD + "PO-9,hx-sand,sand,沪A·S2001,2O000,no\n", 2, "expected_kg", "not a whole number"),
    (ORDER_HEAD + "PO-9,hx-sand,sand,沪A·S2001,100,no\npo-9,hx-sand,sand,沪A·S2001,100,no\n", 3, "code",
     "duplicate code 'PO-9' (first on line"),
    (ORDER_HEAD + "PO-9,hx-sand,sand,沪A·S2001,100,yes\n", 2, "vehicle", "would have 2 open orders"),
]


@pytest.mark.parametrize("text, line, column, words", BAD_ORDERS)
def test_a_bad_row_refuses_the_whole_file(gate: Gate, text: str, line: int, column: str, words: str) -> None:
    # A good row first: it must not go in either.
    good = "PO-8,hx-sand,sand,沪A·S2002,100,no\n"
    path = gate.file("bad.csv", text.replace(ORDER_HEAD, ORDER_HEAD + good, 1))
    before = gate.state()
    done = gate.run("orders", path, "--json")
    assert done.exit_code == 1
    errors = [json.loads(x) for x in done.stdout.splitlines()]
    shift = 1 if text.startswith(ORDER_HEAD) else 0
    assert any(e["line"] == line + shift and e["column"] == column and words in e["error"] for e in errors), errors
    assert gate.state() == before
    human = gate.run("orders", path)
    assert human.exit_code == 1 and "nothing was written" in human.stdout and words.split("'")[0] in human.stdout


@pytest.mark.parametrize("encoding, bom", [("gb18030", b""), ("utf-8", codecs.BOM_UTF8)])
def test_excel_encodings_are_accepted(gate: Gate, encoding: str, bom: bytes) -> None:
    path = gate.tmp / "suppliers-excel.csv"
    path.write_bytes(bom + "code,name\r\nzj-sand,浙江砂业 Zhejiang Sand\r\n".encode(encoding))
    done = gate.run("suppliers", path, "--json")
    assert done.exit_code == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["encoding"] in ("GB18030", "UTF-8 with BOM")
    engine = open_engine(gate.url, KEY, migrate=False)
    with Session(engine) as s:
        assert s.exec(select(MasterChange).order_by(MasterChange.id.desc())).first().new["name"] == "浙江砂业 Zhejiang Sand"  # type: ignore[union-attr]


@pytest.mark.parametrize("data, words", [
    (b"code,name\nx,\xff\xff\n", "not UTF-8 nor GB18030"),
    (codecs.BOM_UTF16_LE + "code,name\n".encode("utf-16-le"), "UTF-16"),
])
def test_unreadable_encodings_are_named(gate: Gate, data: bytes, words: str) -> None:
    path = gate.tmp / "s.csv"
    path.write_bytes(data)
    done = gate.run("suppliers", path, "--json")
    assert done.exit_code == 1 and words in json.loads(done.stdout)["error"]


def test_a_row_edited_outside_the_gate_is_refused_by_line(gate: Gate) -> None:
    con = sqlite3.connect(gate.path)
    with con:
        con.execute("UPDATE deliveryorder SET expected_kg = 1 WHERE code = 'PO-2026-0003'")
    con.close()
    before = gate.state()
    path = gate.file("o.csv", ORDER_HEAD + "PO-2026-0003,ds-stone,gravel,沪B·G2001,31000,\n")
    done = gate.run("orders", path, "--json")
    assert done.exit_code == 1
    (error,) = [json.loads(x) for x in done.stdout.splitlines()]
    assert error["line"] == 2 and "edited outside the gate" in error["error"]
    assert gate.state() == before


def test_bad_usage_exits_2(gate: Gate) -> None:
    assert gate.run("orders", gate.tmp / "missing.csv").exit_code == 2
    assert gate.run("orders", FIXTURES / "orders.csv", "--no-by").exit_code == 2


def test_a_large_file_goes_in_with_progress(gate: Gate) -> None:
    lines = "".join(f"沪C·{i:05d},hx-sand,7200,2350\n" for i in range(2000))
    path = gate.file("many.csv", "plate,supplier,bed_length_mm,bed_width_mm\n" + lines)
    done = gate.run("vehicles", path, "--json")
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["added"] == 2000
    assert gate.state()[0] == 2003 and gate.verify()["ok"]


def test_the_gate_admits_a_truck_on_an_imported_order(gate: Gate) -> None:
    from intake.store.records import Admission, Records

    engine = open_engine(gate.url, KEY, migrate=False)
    admission = Records(engine).admit("沪B·G2001", "1")
    assert isinstance(admission, Admission)
    assert (admission.supplier, admission.material, admission.bed_mm) == ("ds-stone", "gravel", (8000, 2400))
    assert gate.verify()["ok"]   # the visit is chained on top of the imported records
    engine.dispose()
