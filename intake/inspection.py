"""One truck's inspection: sampling plan -> sampler -> camera -> frame quality -> classifier ->
material rules -> decision. Every step records before the next acts; every failure ends in
REVIEW with a reason, never PASS."""
from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable, Protocol

import cv2
import numpy as np

from hardware.sim.clock import SimClock
from intake.config import GateConfig, LaneConfig
from intake.rules import Evidence, Judgement, judge
from intake.sampling.service import Decided, Sampling
from intake.store.records import Admission, Records
from intake.store.tables import Frame, Inspection, Sample, SampleResult
from vision.aggregate import aggregate
from vision.quality import assess, frozen

log = logging.getLogger(__name__)


class Sampler(Protocol):
    async def boom_clear(self) -> bool: ...

    async def take(self, code: int, points_mm: list[tuple[int, int]], bed_mm: tuple[int, int]) -> int:
        """Run one sample cycle; return the sample mass in grams or raise."""
        ...


class Camera(Protocol):
    def grab(self, n: int) -> list[np.ndarray]: ...


class Classifier(Protocol):
    def classify(self, image_bgr: np.ndarray): ...  # -> vision.classifier.Prediction


@dataclass(frozen=True)
class Outcome:
    verdict: str | None
    reasons: tuple[str, ...]
    label: str | None


class Inspector:
    """Runs inspections for one lane. The classifier may be None: a gate without a usable model
    still weighs, but every sampled truck goes to REVIEW."""

    def __init__(self, cfg: GateConfig, lane: LaneConfig, records: Records, sampler: Sampler,
                 camera: Camera, classifier: Classifier | None, model_sha256: str | None,
                 abstain_below: float, clock: SimClock) -> None:
        self.clock = clock
        self.cfg, self.lane, self.records = cfg, lane, records
        self.sampler, self.camera, self.classifier = sampler, camera, classifier
        self.model_sha256, self.abstain_below = model_sha256, abstain_below
        self.sampling = Sampling(records.engine, cfg.sampling, cfg.site.name)
        self.inferences, self.inference_seconds = 0, 0.0   # for /metrics
        # Set by the lane driver: anti-cheat/device holds raised since the weigh-in.
        self.holds: Callable[[], tuple[str, ...]] = lambda: ()
        # Set by the lane driver: which interlocks refuse sampler motion right now.
        self.interlocks: Callable[[], Awaitable[list[str]]] | None = None

    async def inspect(self, adm: Admission) -> Outcome:
        s = self.cfg.sampling
        # The keyed, audited selection (recorded before anything acts on it).
        plan = await asyncio.to_thread(self.sampling.decide, adm.visit, adm.supplier, adm.material,
                                       adm.plate, adm.bed_mm)
        if not plan.selection.sampled:
            await asyncio.to_thread(self.records.record_decision, adm.visit, None, [], None)
            return Outcome(None, (), None)
        if plan.plan_error:
            return await self._decide(adm, Judgement("review", [f"plan:{plan.plan_error}"]), None)
        code = blind_code(s.secret, adm.visit)
        sample_id = await asyncio.to_thread(self.records.record_sample, self._sample_row(adm, plan, code))
        try:
            await self._wait_interlocks()
            mass_g = await self.sampler.take(code, plan.points_mm, adm.bed_mm)
        except Exception as exc:  # any sampler failure: recorded, then REVIEW
            reason = str(exc) if str(exc).startswith("interlock:") else f"sampler:{exc}"
            await asyncio.to_thread(self.records.record_sample_result,
                                    SampleResult(sample_id=sample_id, status="failed", failure=reason))
            return await self._decide(adm, Judgement("review", [reason]), None)
        await asyncio.to_thread(self.records.record_sample_result,
                                SampleResult(sample_id=sample_id, status="taken", mass_g=mass_g))
        judgement, label = await asyncio.to_thread(self._judge_frames, adm, sample_id)
        return await self._decide(adm, judgement, label)

    async def _wait_interlocks(self) -> None:
        """Poll until every interlock holds; on timeout the sample fails (REVIEW), probe never moves."""
        if self.interlocks is None:
            raise RuntimeError("interlock:not_wired")
        deadline = self.clock.now() + self.lane.sampler.interlock_timeout_s
        while failed := await self.interlocks():
            if self.clock.now() > deadline:
                raise RuntimeError("interlock:" + ",".join(failed))
            await self.clock.sleep(0.25)

    def _sample_row(self, adm: Admission, plan: Decided, code: int) -> Sample:
        return Sample(visit_id=adm.visit, blind_code=code,
                      draw=plan.selection.draw, points_m=[list(p) for p in plan.points_m])

    async def _decide(self, adm: Admission, judgement: Judgement, label: str | None) -> Outcome:
        holds = self.holds()
        if holds and judgement.verdict == "pass":
            judgement = Judgement("review", list(holds))  # never record a PASS for a held load
        await asyncio.to_thread(self.records.record_decision, adm.visit, judgement.verdict,
                                judgement.reasons, label)
        return Outcome(judgement.verdict, tuple(judgement.reasons), label)

    def _judge_frames(self, adm: Admission, sample_id: int) -> tuple[Judgement, str | None]:
        """Blocking part: grab, check, save, classify. Runs in a worker thread."""
        rule = self.cfg.materials.get(adm.material)
        try:
            images = self.camera.grab(self.lane.camera.frames)
        except Exception as exc:
            return self._record(sample_id, [], Evidence(None, 0.0, faults=(f"camera:{exc}",)), rule)
        folder = self.cfg.site.data_dir / "frames" / adm.visit
        folder.mkdir(parents=True, exist_ok=True)
        rows, preds, faults = [], [], []
        for i, image in enumerate(images):
            quality = assess(image)
            row = _save_frame(folder, i, image, self.cfg.site.data_dir, quality)
            if quality.ok and self.classifier is not None:
                try:
                    started = time.perf_counter()
                    pred = self.classifier.classify(image)
                    self.inferences += 1
                    self.inference_seconds += time.perf_counter() - started
                except Exception as exc:
                    faults.append(f"model:{exc}")
                    pred = None
                if pred is not None:
                    preds.append(pred)
                    row.label, row.confidence = pred.label, float(pred.confidence)
            rows.append(row)
        evidence = self._evidence(images, rows, preds, faults)
        return self._record(sample_id, rows, evidence, rule)

    def _evidence(self, images: list[np.ndarray], rows: list[Frame], preds: list, faults: list[str]) -> Evidence:
        if self.classifier is None:
            faults.append("model_unavailable")
        if not images:
            faults.append("camera:no_frames")
        elif not preds and not faults:
            reasons = sorted({r for row in rows for r in row.quality.get("reasons", [])})
            faults.extend(f"quality:{r}" for r in reasons or ["bad_frames"])
        elif len(images) > 1 and frozen(images):
            # A live sensor never repeats a frame bit for bit: a stalled camera or a replay.
            faults.append("camera:frozen_frames")
        if faults:
            return Evidence(None, 0.0, faults=tuple(dict.fromkeys(faults)))
        agg = aggregate(preds)
        frames = tuple((p.label, float(p.confidence)) for p in preds)
        probs = tuple((label, float(p)) for label, p in agg.probs.items())
        ood = any(bool(getattr(p, "ood", False)) for p in preds)
        return Evidence(agg.label, float(agg.confidence), frames_agree=bool(agg.agree), frames=frames,
                        probs=probs, ood=ood)

    def _record(self, sample_id: int, rows: list[Frame], ev: Evidence, rule) -> tuple[Judgement, str | None]:
        judgement = judge(rule, ev, self.abstain_below)
        inspection = Inspection(sample_id=sample_id, model_sha256=self.model_sha256, label=ev.label,
                                confidence=ev.confidence if ev.label else None,
                                probs=dict(ev.probs), frames_agree=ev.frames_agree, faults=list(ev.faults))
        self.records.record_inspection(inspection, rows)
        return judgement, ev.label


def blind_code(secret: str, visit: str) -> int:
    """The code the lab sees instead of supplier and truck: keyed, so it reveals neither."""
    digest = hashlib.sha256(f"{secret}:blind:{visit}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 90_000_000 + 10_000_000


def _save_frame(folder: Path, index: int, image: np.ndarray, root: Path, quality) -> Frame:
    ok, buf = cv2.imencode(".png", image)
    if not ok:
        raise RuntimeError("could not encode a frame as PNG")
    data = buf.tobytes()
    path = folder / f"{index:02d}.png"
    path.write_bytes(data)
    return Frame(inspection_id=0, path=str(path.relative_to(root)), sha256=hashlib.sha256(data).hexdigest(),
                 quality_ok=bool(quality.ok), quality=_quality_json(quality))


def _quality_json(quality) -> dict:
    return {"ok": bool(quality.ok), "reasons": list(quality.reasons),
            "sharpness": float(quality.sharpness), "mean_luma": float(quality.mean_luma)}
