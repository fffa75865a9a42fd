"""The learning loop end to end on real files (issue 15, item 5): the demo plant's loads judged
by the real gate, reviewed through the review page's own form endpoint, one load's photos
removed by retention, exported, a candidate fine-tuned from the model in service on a tiny
budget, evaluated against it, refused when worse, promoted when not (or with an admin's
override), rolled back; a restarted gate judges with the promoted model and says so on every
inspection; the chain verifies with the registry's records in it."""
from __future__ import annotations

import asyncio
import json
import re
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from hardware.sim.trucks import demo_trucks
from intake.auth.users import Users
from intake.cli.main import app
from intake.demo.runner import DEMO_CONFIG, DemoOptions, run_demo
from intake.lane.status import LaneStatus, StatusHub
from intake.learning import registry
from intake.store.retention import FrameRemoval, delete_files, frame_files
from intake.web.app import create_app
from intake.web.server import WebServer
from tests.intake.web.staff_support import csrf_of
from vision.model_card import ModelCard, card_path, sha256_file

PASSWORD = "correct horse battery"
SHIPPED = Path("models/intake-classifier/model.onnx")
TRUCKS = 5
pytestmark = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="training needs the train extra")


def _config(tmp: Path) -> Path:
    """The demo's configuration with this run's database, data folder and key, for the CLI."""
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    key = Path("var/demo/audit.key").resolve()
    model = Path("models/intake-classifier/model.onnx").resolve()
    text = re.sub(r'(?m)^data_dir = .*$', f'data_dir = "{tmp / "data"}"', text, count=1)
    text = re.sub(r'(?m)^database = .*$', f'database = "sqlite:///{tmp / "gate.db"}"', text, count=1)
    text = re.sub(r'(?m)^audit_key = .*$', f'audit_key = "file:{key}"', text, count=1)
    text = re.sub(r'(?m)^path = "models/intake-classifier/model.onnx"$', f'path = "{model}"', text, count=1)
    path = tmp / "gate.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _demo(tmp: Path) -> tuple[list[dict], object]:
    out: list[dict] = []
    gates: list = []
    opts = DemoOptions(trucks=TRUCKS, speed=50, db=f"sqlite:///{tmp / 'gate.db'}", web=False, sampling_rate=1.0,
                       data_dir=tmp / "data")
    code = asyncio.run(asyncio.wait_for(run_demo(opts, out.append, on_gate=lambda g, _u: gates.append(g)), 240))
    assert code == 0 and len(out) >= TRUCKS - 1, out
    return out, gates[0]


def _review_all(url: str, truth: dict[str, str]) -> list[str]:
    """Every queued load reviewed through the page's form, labelled with what the truck carried."""
    client = httpx.Client(base_url=url, headers={"Sec-Fetch-Site": "same-origin"}, timeout=20)
    form = client.get("/login")
    assert client.post("/login", data={"csrf": csrf_of(form.text), "username": "li.wei", "password": PASSWORD,
                                       "next": "/review"}, headers={"Origin": url}).status_code == 303
    reviewed = []
    for link in dict.fromkeys(re.findall(r'href="(/review/\d+)[^"]*"', client.get("/review").text)):
        page = client.get(link).text
        assert 'class="en">Model</span></span></dt><dd class="mono" data-testid="model"' in page  # names the model that judged
        visit = re.search(r'name="visit" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        seen = re.search(r'name="seen" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
        q = re.search(r'name="q" value="([^"]*)"', page).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
        plate = next(p for p in truth if p in page)
        label = truth[plate]
        verdict = "pass" if label in ("clean_sand", "clean_gravel") else "reject"
        reply = client.post("/review/decide", data={"csrf": csrf_of(page), "visit": visit, "seen": seen, "q": q,
                                                    "verdict": verdict, "label": label, "reason": "checked the tray"},
                            headers={"Origin": url})
        assert reply.status_code == 303, reply.text
        reviewed.append(visit)
    return reviewed


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"INTAKE_PASSWORD": PASSWORD, "COLUMNS": "200"})
    return result.exit_code, result.stdout


def _json(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def _clone(model: Path, folder: Path, temperature: float | None = None) -> Path:
    """The same network under another SHA-256 (a note in the file); with `temperature`, a card
    that makes it unsure of everything: a candidate that must measure worse."""
    import onnx

    folder.mkdir(parents=True)
    graph = onnx.load(str(model))
    graph.doc_string = f"clone for the learning-loop test, temperature {temperature}"
    target = folder / "model.onnx"
    onnx.save(graph, str(target))
    card = ModelCard.model_validate_json(card_path(model).read_text(encoding="utf-8"))
    update: dict[str, object] = {"sha256": sha256_file(target)}
    if temperature is not None:
        update["temperature"] = temperature
    card_path(target).write_text(card.model_copy(update=update).model_dump_json(indent=1), encoding="utf-8")
    return target


@dataclass
class Loop:
    tmp: Path
    engine: Any
    hub: StatusHub
    reviewed: list[str]
    cfg: str = ""

    def evaluate(self, model: Path) -> dict:
        code, stdout = _cli("vision", "evaluate", "--candidate", str(model), "--plant", str(self.tmp / "export"),
                            "--generated", "6", "--ood", "1", "--no-real", "--config", self.cfg,
                            "--out", str(self.tmp / f"eval-{model.parent.name}"), "--json")
        assert code == 0, stdout
        return _json(stdout)[0]

    def promote(self, model: Path, *extra: str, user: str = "boss", reason: str = "plant data") -> tuple[int, str]:
        return _cli("model", "promote", str(model), "--user", user, "--reason", reason, "--config", self.cfg,
                    "--json", *extra)


def _reviewed_plant(tmp: Path) -> Loop:
    """Demo loads judged by the gate, every queued one reviewed in the review page."""
    out, gate = _demo(tmp)
    engine = gate.records.engine
    users = Users(engine)
    users.add("li.wei", PASSWORD, "reviewer")
    users.add("boss", PASSWORD, "admin")
    hub = StatusHub()
    hub.publish(LaneStatus(lane="1"))
    server = WebServer(create_app(hub, engine=engine, data_dir=tmp / "data"))
    server.start()
    try:
        reviewed = _review_all(server.url, {t.plate: t.load_label for t in demo_trucks(TRUCKS)})
    finally:
        server.stop()
    assert reviewed, out
    return Loop(tmp, engine, hub, reviewed, str(_config(tmp)))


def _retention_and_lab(loop: Loop) -> tuple[str, int, str]:
    """Retention took one reviewed load's photos (labelled_days set); the lab reports on a load
    nobody reviewed (a failed silt figure: muddy). Returns (removed visit, files, lab visit)."""
    from intake.lab.results import attach_result
    from intake.store.tables import Sample

    gone = loop.reviewed[0]
    files, freed, _ = delete_files(loop.tmp / "data", frame_files(loop.engine, gone))
    with Session(loop.engine) as session:
        session.add(FrameRemoval(visit_id=gone, verdict="reject", rule="labelled older than 30 days",
                                 files=files, bytes_freed=freed))
        session.commit()
        tested = next(s for s in session.exec(select(Sample)) if s.visit_id not in loop.reviewed)
    attach_result(loop.engine, tested.blind_code, "silt_pct", "7.5", "%", "plant lab", "fail")
    return gone, files, tested.visit_id


def _export(loop: Loop, gone: str, files: int, lab_visit: str) -> None:
    code, stdout = _cli("vision", "dataset", "export", "--out", str(loop.tmp / "export"), "--config", loop.cfg, "--json")
    assert code == 0, stdout
    summary = _json(stdout)[0]
    items = json.loads((loop.tmp / "export" / "manifest.json").read_text(encoding="utf-8"))["items"]
    assert summary["loads"] == len(set(loop.reviewed)) + 1 and summary["removed_by_retention"] == files > 0
    lab = [i for i in items if i["source"] == "lab"]
    assert lab and {i["visit"] for i in lab} == {lab_visit} and {i["label"] for i in lab} == {"muddy"}
    assert all(i["labelled_by"] == "plant lab" for i in lab)
    removed = [i for i in items if i["visit"] == gone]
    assert removed and all(i["file"] is None and "removed by retention" in i["missing"] for i in removed)
    assert all(i["model_sha256"] == sha256_file(SHIPPED) for i in items)
    assert all(i["labelled_by"] == "li.wei" for i in items if i["source"] == "review")


def _fine_tune_and_promote(loop: Loop) -> Path:
    """A candidate trained on a tiny budget: refused if worse, then an admin's override."""
    cand = loop.tmp / "cand"
    code, stdout = _cli("vision", "train", "--from", str(loop.tmp / "export"), "--out", str(cand), "--quick",
                        "--config", loop.cfg)
    assert code == 0, stdout
    card = ModelCard.model_validate_json(card_path(cand / "model.onnx").read_text(encoding="utf-8"))
    assert "fine-tuned from " + sha256_file(SHIPPED) in card.training_data
    first = loop.evaluate(cand / "model.onnx")
    assert (loop.tmp / "eval-cand" / "confusion-candidate.png").is_file()
    code, stdout = loop.promote(cand / "model.onnx")
    if first["worse"]:
        assert code == 1
        code, stdout = loop.promote(cand / "model.onnx", "--override", reason="plant photos outweigh the set")
        assert code == 0 and _json(stdout)[0]["override"] is True
    else:
        assert code == 0, stdout
    assert registry.in_service(loop.engine, loop.tmp / "data", Path("x")).sha256 == sha256_file(cand / "model.onnx")
    return cand / "model.onnx"


def _refuse_roll_back_promote(loop: Loop, fine_tuned: Path) -> Path:
    # A candidate sure of nothing passes no good load: worse, refused without --override.
    unsure = _clone(fine_tuned, loop.tmp / "unsure", temperature=1000.0)
    result = loop.evaluate(unsure)
    assert result["current"]["good_pass_rate"] == 0 or result["worse"], result
    if result["worse"]:
        assert loop.promote(unsure)[0] == 1
    assert loop.promote(unsure, user="li.wei")[0] == 1       # a reviewer cannot promote at all
    code, stdout = _cli("model", "rollback", "--user", "boss", "--reason", "more reviews needed", "--config", loop.cfg,
                        "--json")
    assert code == 0 and _json(stdout)[0]["sha256"] == sha256_file(SHIPPED)
    # The same network under a new SHA-256 measures the same: not worse, promoted.
    same = _clone(SHIPPED, loop.tmp / "same")
    assert loop.evaluate(same)["worse"] == []
    code, stdout = loop.promote(same, reason="equal figures")
    assert code == 0, stdout
    rows = _json(_cli("model", "list", "--config", loop.cfg, "--json")[1])
    assert [r["version"] for r in rows if "version" in r and "sha256" in r] == ["v1", "v2", "v3"]
    assert [r["action"] for r in rows if "promotion" in r] == ["promote", "rollback", "promote"]
    code, stdout = _cli("model", "list", "--config", loop.cfg)
    assert code == 0 and "Model in service: v3" in stdout
    return same


def _restarted_gate_uses(loop: Loop, promoted: Path) -> None:
    """A gate started now judges with the promoted model; each inspection and the review page say so."""
    from intake.store.tables import Inspection

    _demo(loop.tmp)
    with Session(loop.engine) as session:
        latest = session.exec(select(Inspection).order_by(col(Inspection.id).desc())).first()
    assert latest is not None and latest.model_sha256 == sha256_file(promoted)
    server = WebServer(create_app(loop.hub, engine=loop.engine, data_dir=loop.tmp / "data"))
    server.start()
    try:
        client = httpx.Client(base_url=server.url, headers={"Sec-Fetch-Site": "same-origin"}, timeout=20)
        form = client.get("/login")
        client.post("/login", data={"csrf": csrf_of(form.text), "username": "li.wei", "password": PASSWORD,
                                    "next": "/review"}, headers={"Origin": server.url})
        page = client.get(f"/review/{latest.id}").text
        assert f"v3 · {sha256_file(promoted)[:16]}" in page, page
    finally:
        server.stop()


def test_reviewed_loads_train_a_candidate_that_is_promoted_only_when_not_worse(tmp_path: Path) -> None:
    loop = _reviewed_plant(tmp_path)
    _export(loop, *_retention_and_lab(loop))
    promoted = _refuse_roll_back_promote(loop, _fine_tune_and_promote(loop))
    _restarted_gate_uses(loop, promoted)
    code, stdout = _cli("audit", "verify", "--config", loop.cfg)
    assert code == 0, stdout
    assert (tmp_path / "data" / "models" / sha256_file(promoted)[:16] / "model.onnx").is_file()
