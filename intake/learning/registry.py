"""The model registry: which model the gate uses, and how it got there.

Model files live in the site's data folder (`models/<sha256[:16]>/model.onnx` + its card), one
per registered version, and are never removed: a rollback needs the file it returns to. The
model in service is a stack walked over the promotion records in order: a promotion pushes its
version (the first one pushes the configured model it replaces first), a rollback pops back to
the one before. No record: the configured `model.path`.

A promotion needs an evaluation (vision.compare) of this candidate against the model in
service now; it is refused when the candidate has more false passes or passes fewer good
loads on that set, unless an admin overrides it with a reason (recorded as an override)."""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from intake.learning.tables import ModelEvaluation, ModelPromotion, ModelVersion
from vision.compare import Comparison
from vision.model_card import ModelCard, card_path, sha256_file


class PromotionRefused(RuntimeError):
    pass


@dataclass(frozen=True)
class InService:
    path: Path                      # the .onnx the gate should load
    sha256: str
    version: ModelVersion | None    # None: the configured model, never promoted over


def _card(model: Path) -> ModelCard:
    try:
        return ModelCard.model_validate_json(card_path(model).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PromotionRefused(f"{model}: no readable model card beside it ({exc})") from exc


def versions(engine: Engine) -> list[ModelVersion]:
    with Session(engine) as session:
        return list(session.exec(select(ModelVersion).order_by(col(ModelVersion.id))))


def promotions(engine: Engine) -> list[ModelPromotion]:
    with Session(engine) as session:
        return list(session.exec(select(ModelPromotion).order_by(col(ModelPromotion.id))))


def evaluations(engine: Engine, limit: int = 10) -> list[ModelEvaluation]:
    with Session(engine) as session:
        return list(session.exec(select(ModelEvaluation).order_by(col(ModelEvaluation.id).desc()).limit(limit)))


def version_of(engine: Engine, sha256: str | None) -> ModelVersion | None:
    """The registered version of a model file (None: never registered, e.g. the shipped one
    before any promotion)."""
    if not sha256:
        return None
    with Session(engine) as session:
        return session.exec(select(ModelVersion).where(col(ModelVersion.sha256) == sha256)).first()


def service_stack(records: list[ModelPromotion]) -> list[int]:
    """Version ids, the one in service last."""
    stack: list[int] = []
    for r in records:
        if r.action == "rollback":
            stack = stack[:-1]
        else:
            if not stack and r.previous_version_id is not None:
                stack.append(r.previous_version_id)
            stack.append(r.version_id)
    return stack


def in_service(engine: Engine, data_dir: Path, configured: Path) -> InService:
    """The model the gate should judge with now."""
    stack = service_stack(promotions(engine))
    if not stack:
        try:
            return InService(configured, _card(configured).sha256, None)
        except PromotionRefused:   # no card: the gate's own load reports the bad model
            return InService(configured, "", None)
    with Session(engine) as session:
        version = session.get(ModelVersion, stack[-1])
    assert version is not None   # a foreign key of a chained record
    return InService(data_dir / version.path, version.sha256, version)


def register(engine: Engine, data_dir: Path, model: Path, by: str, source: str) -> ModelVersion:
    """The version of this model file, copied into the data folder and recorded if new."""
    card = _card(model)
    sha = sha256_file(model)
    if sha != card.sha256:
        raise PromotionRefused(f"{model}: its card names another file (sha256 {card.sha256[:16]}, file {sha[:16]})")
    with Session(engine) as session:
        known = session.exec(select(ModelVersion).where(col(ModelVersion.sha256) == sha)).first()
        if known is not None:
            return known
        count = len(session.exec(select(ModelVersion.id)).all())
    rel = Path("models") / sha[:16] / "model.onnx"
    target = data_dir / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model, target)
    shutil.copyfile(card_path(model), card_path(target))
    row = ModelVersion(version=f"v{count + 1}", sha256=sha, path=str(rel), card=json.loads(card.model_dump_json()),
                       source=source[:500], registered_by=by)
    return _add(engine, row)


def _add(engine: Engine, row):  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        session.add(row)
        session.commit()
        session.refresh(row)
    return row


def record_evaluation(engine: Engine, result: Comparison, by: str) -> ModelEvaluation:
    figures = {"candidate": result.candidate.model_dump(), "current": result.current.model_dump()}
    return _add(engine, ModelEvaluation(candidate_sha256=result.candidate.sha256, current_sha256=result.current.sha256,
                                        dataset=result.dataset[:500], figures=figures, worse=result.worse,
                                        evaluated_by=by))


def _evaluation(engine: Engine, candidate: str, current: str) -> ModelEvaluation | None:
    with Session(engine) as session:
        return session.exec(select(ModelEvaluation).where(col(ModelEvaluation.candidate_sha256) == candidate,
                                                          col(ModelEvaluation.current_sha256) == current)
                            .order_by(col(ModelEvaluation.id).desc())).first()


def promote(engine: Engine, data_dir: Path, configured: Path, candidate: Path, by: str, reason: str,
            override: bool = False) -> ModelPromotion:
    """Put `candidate` in service, or raise PromotionRefused saying why not."""
    reason = " ".join(reason.split())
    if len(reason) < 3:
        raise PromotionRefused("a reason is required (why this model goes into service)")
    now = in_service(engine, data_dir, configured)
    sha = sha256_file(candidate)
    if sha == now.sha256:
        raise PromotionRefused(f"{candidate} is the model in service already")
    evaluation = _evaluation(engine, sha, now.sha256)
    if evaluation is None:
        raise PromotionRefused(f"no evaluation of this candidate against the model in service ({now.sha256[:16]}): "
                               "run intake vision evaluate --candidate first")
    if evaluation.worse and not override:
        raise PromotionRefused("worse than the model in service on the same set: " + "; ".join(evaluation.worse)
                               + " (an admin may override with --override and a reason)")
    previous = now.version or register(engine, data_dir, now.path, by, f"configured model.path {now.path.name}")
    version = register(engine, data_dir, candidate, by, f"candidate {candidate}")
    assert version.id is not None and previous.id is not None   # read back from the store
    return _add(engine, ModelPromotion(action="promote", version_id=version.id, previous_version_id=previous.id,
                                       evaluation_id=evaluation.id, override=bool(evaluation.worse), by=by,
                                       reason=reason))


def rollback(engine: Engine, by: str, reason: str) -> ModelPromotion:
    """Back to the model in service before the latest promotion still standing."""
    reason = " ".join(reason.split())
    if len(reason) < 3:
        raise PromotionRefused("a reason is required (why the model is rolled back)")
    stack = service_stack(promotions(engine))
    if len(stack) < 2:
        raise PromotionRefused("nothing to roll back to: no promotion is in force")
    return _add(engine, ModelPromotion(action="rollback", version_id=stack[-2], previous_version_id=stack[-1],
                                       by=by, reason=reason))
