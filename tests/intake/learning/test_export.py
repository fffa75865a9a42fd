"""The export lists every photo of a labelled load: a photo whose bytes changed since the gate
recorded it, or that is gone without a removal record, is listed with why and not exported."""
from __future__ import annotations

import hashlib
from pathlib import Path

from sqlmodel import Session, col, select

from intake.learning.export import export, material_lookup
from intake.store.db import open_engine
from intake.store.records import Records
from intake.store.reviews import ReviewRequest, record_review
from intake.store.tables import Decision, Frame
from tests.intake.store.conftest import KEY, fill
from vision.dataset import load_manifest


def test_changed_and_missing_photos_are_listed_not_exported(tmp_path: Path) -> None:
    records = Records(open_engine(f"sqlite:///{tmp_path / 'gate.db'}", KEY))
    visit = fill(records, trucks=1)[0]
    data = tmp_path / "data"
    with Session(records.engine) as session:
        frames = session.exec(select(Frame).order_by(col(Frame.id))).all()
        seen = session.exec(select(Decision.id).where(col(Decision.visit_id) == visit)).one()
    # The first photo's file is there but not what the Frame record hashed; the second is gone.
    (data / frames[0].path).parent.mkdir(parents=True)
    (data / frames[0].path).write_bytes(b"edited afterwards")
    assert hashlib.sha256(b"edited afterwards").hexdigest() != frames[0].sha256
    record_review(records.engine, ReviewRequest(visit_id=visit, seen_decision_id=seen, reviewer_id=1,
                                                reviewer="li.wei", new_verdict="reject", label="muddy",
                                                reason="clay on the tray"))
    manifest = export(records.engine, data, tmp_path / "out", "site", {"sand": frozenset({"clean_sand"})},
                      material_lookup(records.engine))
    why = {i.frame: i.missing for i in manifest.items}
    assert why[frames[0].id] == "file changed since it was recorded (SHA-256 differs)"
    assert why[frames[1].id] == "file missing (no removal record)"
    assert all(i.file is None and i.label == "muddy" and i.labelled_by == "li.wei" for i in manifest.items)
    assert load_manifest(tmp_path / "out").usable(held=False) == []
