"""`intake audit verify` finds a changed snapshot file and an edited snapshot record; retention
removes a settled delivery's snapshots under its rule (files named, records kept, a chained
removal record), keeps those of a load awaiting review, and the pages say "removed"."""
from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from intake.cli.main import app
from intake.config import RetentionConfig
from intake.evidence.audit import check_files
from intake.evidence.retention import prune_snapshots
from intake.evidence.tables import SnapshotRemoval
from intake.lane.status import StatusHub
from intake.store.audit import verify
from intake.web.app import create_app
from tests.intake.evidence.helpers import KEY, NOW, photograph
from tests.intake.ticket.conftest import db_path, records, tickets, visits  # noqa: F401 - fixtures


@pytest.fixture
def audit(db_path, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("INTAKE_TEST_EVIDENCE_KEY", KEY.decode())
    runner = CliRunner()

    def run() -> tuple[int, dict]:
        result = runner.invoke(app, ["audit", "verify", "--db", f"sqlite:///{db_path}", "--key",
                                     "env:INTAKE_TEST_EVIDENCE_KEY", "--data-dir", str(tmp_path / "data"), "--json"])
        return result.exit_code, json.loads(result.stdout.splitlines()[-1])
    return run


def test_audit_verify_finds_a_changed_file_and_an_edited_record(audit, records, visits, tmp_path, db_path):  # noqa: F811
    rows = photograph(records, tmp_path / "data", visits[0], tmp_path / "cams")
    code, report = audit()
    assert code == 0 and report["ok"] and not report["problems"]
    changed = tmp_path / "data" / rows[0].path
    changed.write_bytes(changed.read_bytes() + b"x")
    code, report = audit()
    assert code == 1 and [(p["kind"], p["pk"]) for p in report["problems"]] == [("file_changed", str(rows[0].id))]
    con = sqlite3.connect(db_path)
    with con:
        con.execute("UPDATE deck_snapshot SET view = 'top' WHERE id = ?", (rows[1].id,))
    con.close()
    code, report = audit()
    kinds = {(p["kind"], p["table"], p["pk"]) for p in report["problems"]}
    assert code == 1 and ("mismatch", "deck_snapshot", str(rows[1].id)) in kinds
    (tmp_path / "data" / rows[2].path).unlink()   # deleted by hand, not by retention
    assert ("file_missing", str(rows[2].id)) in {(p["kind"], p["pk"]) for p in audit()[1]["problems"]}


def test_retention_removes_settled_snapshots_and_keeps_those_awaiting_review(records, tickets, visits, tmp_path):  # noqa: F811
    data = tmp_path / "data"
    settled = photograph(records, data, visits[0], tmp_path / "cams")
    waiting = photograph(records, data, visits[1], tmp_path / "cams")
    records.record_decision(visits[1], "review", ["tare_mismatch"], None)   # its load now waits for a person
    unsampled = photograph(records, data, visits[2], tmp_path / "cams")
    records.record_decision(visits[2], None, [], None)                      # settled: not sampled
    policy = RetentionConfig(evidence_days=30)
    assert prune_snapshots(records.engine, data, policy, NOW + timedelta(days=29)) is None   # not due yet
    total = prune_snapshots(records.engine, data, policy, NOW + timedelta(days=31))
    assert total is not None and (total.rule, total.loads, total.files) == ("deck evidence older than 30 days", 2, 8)
    assert total.bytes == sum(r.size_bytes for r in settled + unsampled) and not total.failed
    assert not any((data / r.path).exists() for r in settled + unsampled)
    assert all((data / r.path).exists() for r in waiting)
    with Session(records.engine) as session:
        removals = session.exec(select(SnapshotRemoval)).all()
    assert sorted((r.visit_id, r.files) for r in removals) == sorted([(visits[0], 4), (visits[2], 4)])
    assert verify(records.engine, KEY).ok and check_files(records.engine, data) == (12, [])
    assert prune_snapshots(records.engine, data, policy, NOW + timedelta(days=31)) is None   # once only
    with TestClient(create_app(StatusHub(), engine=records.engine, data_dir=data)) as client:
        html = client.get(f"/t/{tickets[0].code}").text
    assert "evidence-removed" in html and "deck evidence older than 30 days" in html
    assert 'data-testid="snapshot-image"' not in html and html.count('data-state="removed"') == 4
