"""`intake vision dataset export`: the photos of every load a reviewer or the lab labelled,
with the label, its provenance and a manifest of SHA-256s (vision.dataset).

The label of a load: the latest review's label (a person looked at the photos), or a spot-check's
of a PASS load (a person looked too, without a decision changing). Failing that,
the lab's results where they name one: a `fail` on a fines property (silt, clay, mud) is
`muddy`; all results `pass` is the material's one accepted label. Other lab-only loads are
listed as unlabelled, with why. Photos retention removed are listed with the removal record
(rule, date) instead of the file; a file whose bytes no longer match its Frame record is listed
as changed and not exported."""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.lab.results import LabResult
from intake.store.paths import resolve_under
from intake.store.retention import FrameRemoval
from intake.store.reviews import Review
from intake.store.spotchecks import SpotCheck
from intake.store.tables import Frame, Inspection, Sample
from vision.dataset import ExportItem, Manifest, Unlabelled, held_back

FINES = ("silt", "clay", "mud", "fines")   # lab properties whose failure means a muddy load
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Label:
    label: str
    source: str          # review | spot_check | lab
    by: str
    at: datetime


def lab_label(results: list[LabResult], accepted: frozenset[str]) -> tuple[str | None, str]:
    """(label, why) from one sample's lab results; label None when they name none."""
    verdicts = [r.verdict for r in results]
    if any(r.verdict == "fail" and any(f in r.property.lower() for f in FINES) for r in results):
        return "muddy", "lab: fines property failed"
    if verdicts and all(v == "pass" for v in verdicts) and len(accepted) == 1:
        return next(iter(accepted)), "lab: every result passed"
    if any(v == "fail" for v in verdicts):
        return None, "lab failed the sample on a property that names no label"
    return None, "lab results carry no pass/fail verdict"


def labelled_loads(engine: Engine, accepted: Mapping[str, frozenset[str]],
                   material_of: Callable[[str], str]) -> tuple[dict[str, Label], list[Unlabelled]]:
    """visit -> its training label, and the lab-only loads whose results name none."""
    labels: dict[str, Label] = {}
    with Session(engine) as session:
        for check in session.exec(select(SpotCheck).order_by(col(SpotCheck.id))):
            labels[check.visit_id] = Label(check.label, "spot_check", check.reviewer, check.checked_at)
        for review in session.exec(select(Review).order_by(col(Review.id))):   # a review settles a flag: it wins
            labels[review.visit_id] = Label(review.label, "review", review.reviewer, review.reviewed_at)
        lab: dict[int, list[LabResult]] = {}
        for result in session.exec(select(LabResult).order_by(col(LabResult.id))):
            lab.setdefault(result.blind_code, []).append(result)
        samples = session.exec(select(Sample).where(col(Sample.blind_code).in_(list(lab)))).all()
    unlabelled: list[Unlabelled] = []
    for sample in samples:
        if sample.visit_id in labels:
            continue   # a reviewer's label wins over what can be read from lab figures
        results = lab[sample.blind_code]
        label, why = lab_label(results, accepted.get(material_of(sample.visit_id), frozenset()))
        if label is None:
            unlabelled.append(Unlabelled(visit=sample.visit_id, why=why))
        else:
            labels[sample.visit_id] = Label(label, "lab", results[-1].lab, results[-1].recorded_at)
    return labels, unlabelled


def _frames(session: Session, visit: str) -> list[tuple[Inspection, Frame]]:
    query = (select(Inspection, Frame).join(Frame, col(Frame.inspection_id) == col(Inspection.id))
             .join(Sample, col(Inspection.sample_id) == col(Sample.id))
             .where(col(Sample.visit_id) == visit).order_by(col(Frame.id)))
    return [(i, f) for i, f in session.exec(query)]


def _copy(data_dir: Path, out: Path, visit: str, frame: Frame, removal: FrameRemoval | None) -> tuple[str | None, str | None]:
    """(exported file relative to out, or why not)."""
    if removal is not None:
        return None, f"removed by retention: {removal.rule}, {removal.removed_at:%Y-%m-%d}"
    source = resolve_under(data_dir, frame.path)
    if source is None or not source.is_file():
        return None, "file missing (no removal record)"
    data = source.read_bytes()
    if hashlib.sha256(data).hexdigest() != frame.sha256:
        return None, "file changed since it was recorded (SHA-256 differs)"
    rel = f"images/{visit}/{Path(frame.path).name}"
    target = out / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return rel, None


def export(engine: Engine, data_dir: Path, out: Path, site: str, accepted: Mapping[str, frozenset[str]],
           material_of: Callable[[str], str], progress: Progress | None = None) -> Manifest:
    """Write `out/images/...` and `out/manifest.json`; returns the manifest."""
    labels, unlabelled = labelled_loads(engine, accepted, material_of)
    manifest = Manifest(created=datetime.now(timezone.utc).replace(microsecond=0), site=site, unlabelled=unlabelled)
    out.mkdir(parents=True, exist_ok=True)
    with Session(engine) as session:
        for done, (visit, label) in enumerate(sorted(labels.items()), 1):
            removal = session.exec(select(FrameRemoval).where(col(FrameRemoval.visit_id) == visit)
                                   .order_by(col(FrameRemoval.id).desc())).first()
            for inspection, frame in _frames(session, visit):
                assert inspection.id is not None and frame.id is not None
                file, missing = _copy(data_dir, out, visit, frame, removal)
                manifest.items.append(ExportItem(
                    visit=visit, inspection=inspection.id, frame=frame.id, label=label.label,
                    source=label.source, labelled_by=label.by, labelled_at=label.at,  # type: ignore[arg-type]
                    model_sha256=inspection.model_sha256, gate_label=frame.label, sha256=frame.sha256,
                    quality_ok=frame.quality_ok, held_back=held_back(visit), file=file, missing=missing))
            if progress is not None:
                progress(done, len(labels))
    manifest.save(out)
    return manifest


def material_lookup(engine: Engine) -> Callable[[str], str]:
    """visit -> its order's material code."""
    from intake.store.tables import DeliveryOrder, Material, Visit

    query = (select(Visit.id, Material.code).join(DeliveryOrder, col(Visit.order_id) == col(DeliveryOrder.id))
             .join(Material, col(DeliveryOrder.material_id) == col(Material.id)))
    with Session(engine) as session:
        codes = {v: m for v, m in session.exec(query)}
    return lambda visit: codes.get(visit, "")
