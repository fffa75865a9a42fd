"""Blind sample labels and lab results on samples the demo gate really took."""
from __future__ import annotations

import asyncio
import json

import cv2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from intake.cli.main import app as cli
from intake.demo.runner import DemoOptions, run_demo
from intake.lab.api import lab_router
from intake.lab.results import LabError, attach_result, find_sample, results_for
from intake.store.startup import open_store
from intake.store.tables import Sample
from intake.demo.runner import demo_config


@pytest.fixture(scope="module")
def gate_db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lab")
    db = f"sqlite:///{tmp / 'gate.db'}"
    opts = DemoOptions(trucks=2, speed=50, db=db, web=False, sampling_rate=1.0, data_dir=tmp / "data")
    assert asyncio.run(run_demo(opts, lambda s: None)) == 0
    engine = open_store(demo_config(opts).site)
    with Session(engine) as session:
        codes = [s.blind_code for s in session.exec(select(Sample))]
    return tmp, db, engine, codes


def test_label_png_and_pdf_carry_a_qr_code_to_the_inspection(gate_db):
    tmp, db, engine, codes = gate_db
    r = CliRunner().invoke(cli, ["sample", "label", str(codes[0]), "--db", db, "--out", str(tmp / "labels")])
    assert r.exit_code == 0, r.output
    png = tmp / "labels" / f"sample-{codes[0]}.png"
    assert (tmp / "labels" / f"sample-{codes[0]}.pdf").read_bytes().startswith(b"%PDF")
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(cv2.imread(str(png)))
    info = find_sample(engine, codes[0])
    assert text == f"http://127.0.0.1:8080/review/{info.inspection_id}"   # the demo config's web address


def test_the_label_points_where_the_site_says_and_reads_in_chinese_in_plant_time(gate_db):
    from intake.lab.labels import label_lines

    tmp, db, engine, codes = gate_db
    r = CliRunner().invoke(cli, ["sample", "label", str(codes[0]), "--db", db, "--out", str(tmp / "l2"),
                                 "--base-url", "https://gate.plant.example/"])
    assert r.exit_code == 0, r.output
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(cv2.imread(str(tmp / "l2" / f"sample-{codes[0]}.png")))
    info = find_sample(engine, codes[0])
    assert text == f"https://gate.plant.example/review/{info.inspection_id}"
    lines = label_lines(info, "Asia/Shanghai", chinese=True)
    assert lines[0].startswith("物料 Material: ") and "+0800" in lines[1] and "盲样" in lines[2]
    assert info.taken_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")).strftime("%H:%M") in lines[1]


def test_results_are_appended_and_read_back_by_cli_and_api(gate_db):
    tmp, db, engine, codes = gate_db
    attach_result(engine, codes[0], "silt_pct", "2.4", "%", "Plant lab")
    r = CliRunner().invoke(cli, ["sample", "result", str(codes[0]), "--property", "clay_lumps_pct",
                                 "--value", "0.3", "--unit", "%", "--lab", "Plant lab", "--verdict", "pass", "--db", db])
    assert r.exit_code == 0, r.output
    api = FastAPI()
    api.include_router(lab_router(engine, "lab-t0ken"))
    client = TestClient(api)
    auth = {"Authorization": "Bearer lab-t0ken"}
    posted = client.post(f"/api/lab/{codes[0]}/results", headers=auth,
                         json={"property": "fineness_modulus", "value": "2.61", "unit": "-", "lab": "Ext lab"})
    assert posted.status_code == 201
    body = client.get(f"/api/lab/{codes[0]}", headers=auth).json()
    assert [x["property"] for x in body["results"]] == ["silt_pct", "clay_lumps_pct", "fineness_modulus"]
    shown = CliRunner().invoke(cli, ["sample", "show", str(codes[0]), "--db", db, "--json"])
    assert json.loads(shown.output)["results"][2]["value"] == "2.61"
    assert client.get(f"/api/lab/{codes[0]}", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/lab/12345678", headers=auth).status_code == 404


def test_bad_results_are_refused_and_nothing_is_written(gate_db):
    _, db, engine, codes = gate_db
    before = len(results_for(engine, codes[1]))
    with pytest.raises(LabError, match="not a number"):
        attach_result(engine, codes[1], "silt_pct", "two", "%", "lab")
    with pytest.raises(LabError, match="no sample"):
        attach_result(engine, 99_999_999, "silt_pct", "1", "%", "lab")
    assert len(results_for(engine, codes[1])) == before
    r = CliRunner().invoke(cli, ["sample", "label", "42", "--db", db])
    assert r.exit_code == 2


def test_lab_results_appear_on_the_inspection_page_data(gate_db):
    from intake.store.reviews import visit_detail

    _, _, engine, codes = gate_db
    info = find_sample(engine, codes[1])
    attach_result(engine, codes[1], "moisture_pct", "4.2", "%", "Plant lab", "pass")
    detail = visit_detail(engine, info.visit_id)
    assert detail is not None and [(r.property, r.value) for r in detail.lab_results][-1] == ("moisture_pct", "4.2")
