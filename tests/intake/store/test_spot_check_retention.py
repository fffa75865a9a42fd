"""Retention and spot-checks: a PASS load a spot-check disagreed with keeps its photos until it
is reviewed; one a spot-check agreed with is labelled data, kept like a reviewed load."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from intake.config import RetentionConfig
from intake.store.retention import prune_frames
from intake.store.spotchecks import SpotCheckRequest, record_spot_check
from tests.intake.web.review_seed import SEED_NOW, add_item, day, make_engine, plates, seed_master


def test_flagged_and_spot_checked_pass_photos_stay(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "gate.db")
    seed_master(engine)
    sand, _ = plates()
    flagged, agreed, plain = (add_item(engine, tmp_path / "data", plate=sand, verdict="pass", label="clean_sand",
                                       reasons=[], at=day(200 + i)) for i in range(3))
    for item, agrees in ((flagged, False), (agreed, True)):
        record_spot_check(engine, SpotCheckRequest(item.visit, item.decision, 1, "rev", agrees,
                                                   "muddy" if not agrees else "clean_sand", "looked at the tray"))
    [total] = prune_frames(engine, tmp_path / "data", RetentionConfig(pass_days=90, min_free_gb=0),
                           now=SEED_NOW + timedelta(hours=1))
    assert (total.rule, total.loads) == ("pass older than 90 days", 1)      # only the load nobody looked at
    assert not (tmp_path / "data" / "frames" / plain.visit).exists()
    assert (tmp_path / "data" / "frames" / flagged.visit).is_dir() and (tmp_path / "data" / "frames" / agreed.visit).is_dir()
    labelled = prune_frames(engine, tmp_path / "data", RetentionConfig(pass_days=90, labelled_days=100, min_free_gb=0),
                            now=SEED_NOW + timedelta(hours=1))
    assert [(t.rule, t.loads) for t in labelled] == [("labelled older than 100 days", 1)]   # the flagged one stays
    assert (tmp_path / "data" / "frames" / flagged.visit).is_dir()
