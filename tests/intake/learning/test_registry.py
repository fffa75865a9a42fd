"""The model registry without the plant: versions, the stack of promotions and rollbacks, the
refusals, the gate's follower swapping models between inspections only, and lab labels."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from intake.lab.results import LabResult
from intake.learning import registry
from intake.learning.export import lab_label
from intake.learning.live import Loaded, ModelFollower
from intake.learning.registry import PromotionRefused
from intake.store.db import open_engine
from vision.compare import Comparison, Figures
from vision.model_card import card_path, sha256_file

KEY = b"test-site-audit-key-0123456789"


def _model(folder: Path, payload: bytes) -> Path:
    """A model file and a card naming it (the registry reads only the card and the SHA-256)."""
    shipped = Path("models/intake-classifier/model.json")
    folder.mkdir(parents=True)
    path = folder / "model.onnx"
    path.write_bytes(payload)
    card = json.loads(shipped.read_text(encoding="utf-8"))
    card["sha256"] = sha256_file(path)
    card_path(path).write_text(json.dumps(card), encoding="utf-8")
    return path


def _figures(sha: str, fp: float, good: float) -> Figures:
    return Figures(sha256=sha, n=10, false_pass_rate=fp, false_passes=int(fp * 10), good_pass_rate=good,
                   good_pass_by_source={}, false_pass_by_source={}, recall={}, ood_review_rate=None, ood_pass=0,
                   ms_per_photo=1.0, confusion=[])


def _evaluate(engine, candidate: Path, current: Path, fp: float, good: float) -> None:
    cand, cur = _figures(sha256_file(candidate), fp, good), _figures(sha256_file(current), 0.01, 0.5)
    from vision.compare import worse

    registry.record_evaluation(engine, Comparison(dataset="test", candidate=cand, current=cur,
                                                  worse=worse(cand, cur)), "tester")


@pytest.fixture
def store(tmp_path: Path):
    return open_engine(f"sqlite:///{tmp_path / 'gate.db'}", KEY), tmp_path / "data"


def test_promotion_needs_an_evaluation_and_is_refused_when_worse_unless_overridden(store, tmp_path: Path) -> None:
    engine, data = store
    base, cand = _model(tmp_path / "base", b"base"), _model(tmp_path / "cand", b"cand")
    assert registry.in_service(engine, data, base).version is None
    with pytest.raises(PromotionRefused, match="no evaluation"):
        registry.promote(engine, data, base, cand, "boss", "better")
    _evaluate(engine, cand, base, fp=0.02, good=0.6)          # more false passes
    with pytest.raises(PromotionRefused, match="false-pass 0.0200 > 0.0100"):
        registry.promote(engine, data, base, cand, "boss", "better")
    with pytest.raises(PromotionRefused, match="reason"):
        registry.promote(engine, data, base, cand, "boss", " ", override=True)
    record = registry.promote(engine, data, base, cand, "boss", "plant photos", override=True)
    assert record.override and registry.in_service(engine, data, base).sha256 == sha256_file(cand)
    assert (data / registry.in_service(engine, data, base).version.path).read_bytes() == b"cand"  # type: ignore[union-attr]
    with pytest.raises(PromotionRefused, match="in service already"):
        registry.promote(engine, data, base, cand, "boss", "again")


def test_rollback_walks_back_the_promotions_in_order(store, tmp_path: Path) -> None:
    engine, data = store
    base, a, b = (_model(tmp_path / n, n.encode()) for n in ("base", "a", "b"))
    _evaluate(engine, a, base, fp=0.0, good=0.6)
    registry.promote(engine, data, base, a, "boss", "a is better")
    with pytest.raises(PromotionRefused, match="no evaluation"):  # evaluated against base, not a
        registry.promote(engine, data, base, b, "boss", "b first")
    _evaluate(engine, b, a, fp=0.01, good=0.5)                # equal: not worse
    registry.promote(engine, data, base, b, "boss", "b is as good")
    assert [v.version for v in registry.versions(engine)] == ["v1", "v2", "v3"]
    registry.rollback(engine, "boss", "b misreads wet sand")
    assert registry.in_service(engine, data, base).sha256 == sha256_file(a)
    registry.rollback(engine, "boss", "back to the shipped one")
    assert registry.in_service(engine, data, base).sha256 == sha256_file(base)
    with pytest.raises(PromotionRefused, match="nothing to roll back"):
        registry.rollback(engine, "boss", "once more")


def test_the_follower_hands_a_promoted_model_to_the_next_inspection(store, tmp_path: Path, monkeypatch) -> None:
    engine, data = store
    base, cand = _model(tmp_path / "base", b"base"), _model(tmp_path / "cand", b"cand")
    loaded: list[Path] = []

    class Fake:
        def __init__(self, path: Path) -> None:
            self.card = type("Card", (), {"sha256": sha256_file(path), "abstain_confidence": 0.9, "gate": None})()

    def load(path: Path) -> Fake:
        loaded.append(path)
        return Fake(path)

    monkeypatch.setattr("intake.learning.live.OnnxClassifier.load", load)
    follower = ModelFollower(engine, data, base, Loaded(sha256_file(base), Fake(base)), every_s=0)  # type: ignore[arg-type]
    assert follower.current().sha256 == sha256_file(base) and not loaded
    _evaluate(engine, cand, base, fp=0.0, good=0.6)
    registry.promote(engine, data, base, cand, "boss", "better")
    now = follower.current()
    assert now.sha256 == sha256_file(cand) and now.classifier is not None and len(loaded) == 1
    assert follower.current() is now and len(loaded) == 1     # loaded once, shared by every lane

    from intake.inspection import Inspector

    inspector = Inspector.__new__(Inspector)                 # only the model fields matter here
    inspector.classifier, inspector.model_sha256, inspector.abstain_below, inspector.gate = None, "old", 0.0, None
    inspector._use(now)
    assert inspector.model_sha256 == sha256_file(cand) and inspector.abstain_below == 0.9
    inspector._use(Loaded(sha256_file(cand), None, "damaged"))   # no model: nothing recorded as judging
    assert inspector.classifier is None and inspector.model_sha256 is None


def _result(prop: str, verdict: str | None) -> LabResult:
    return LabResult(blind_code=1, property=prop, value="1", unit="%", lab="lab", verdict=verdict,
                     recorded_at=datetime.now(timezone.utc))


def test_lab_results_name_a_label_only_when_they_say_one() -> None:
    sand = frozenset({"clean_sand"})
    assert lab_label([_result("silt_pct", "fail")], sand)[0] == "muddy"
    assert lab_label([_result("silt_pct", "pass"), _result("moisture_pct", "pass")], sand)[0] == "clean_sand"
    assert lab_label([_result("fineness_modulus", "fail")], sand)[0] is None
    assert lab_label([_result("moisture_pct", None)], sand)[0] is None
