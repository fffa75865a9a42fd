"""One truck's inspection: sampling plan -> sampler -> camera -> frame quality -> classifier ->
material rules -> decision. Every step records before the next acts; every failure ends in
REVIEW with a reason, never PASS."""
from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Awaitable, Callable, Protocol

import cv2
import numpy as np

from hardware.clock import Clock
from intake.config import CameraConfig, GateConfig, LaneConfig
from intake.lane.status import Verdict
from vision.judging import Evidence, Judgement, evidence_of, judge
from intake.sampling.policy import Unavailable
from intake.sampling.service import Decided, Sampling
from intake.store.records import Admission, Records
from intake.store.tables import Frame, Inspection, Sample, SampleResult
from vision import particles
from vision.grading import Grading, combine, grade
from vision.calibration import Calibration
from vision.model_card import GateCalibration
from vision.quality import assess, distinct_views, frozen, thumbnail

log = logging.getLogger(__name__)
# A drawn truck recorded not sampled because it could not be inspected: the reason code its
# decision carries ("not_sampled:model_unavailable"), in words on the kiosk and staff pages.
NOT_SAMPLED_PREFIX = "not_sampled:"
UNAVAILABLE = frozenset({"model_unavailable"})


class Sampler(Protocol):
    async def boom_clear(self) -> bool: ...

    async def stop(self) -> None:
        """Stop the probe now (the lane's own interlock check calls this mid-cycle)."""
        ...

    async def take(self, code: int, points_mm: list[tuple[int, int]], bed_mm: tuple[int, int],
                   guard: Callable[[], Awaitable[list[str]]] | None = None,
                   progress: Callable[[int, int], None] | None = None) -> int:
        """Run one sample cycle; return the sample mass in grams or raise. `guard` names the
        interlocks broken now; any stops the probe ("interlock:<names>"). `progress(done, n)`
        hears the cores taken as the sampler reports them."""
        ...


class Camera(Protocol):
    def grab(self, n: int) -> list[np.ndarray]: ...


class Classifier(Protocol):
    def classify(self, image_bgr: np.ndarray): ...  # -> vision.classifier.Prediction

    def classify_tiles(self, image_bgr: np.ndarray) -> list: ...  # whole frame first, then its tiles


class LaneSide(Protocol):
    """What the inspector asks of the lane whose truck it inspects (intake.lane.driver)."""

    def holds(self) -> tuple[str, ...]:
        """Anti-cheat and device holds raised since the weigh-in."""
        ...

    async def interlock_failures(self) -> list[str]:
        """The interlocks that refuse sampler motion now (empty: the probe may start)."""
        ...

    async def probe_guard(self, boom_clear: bool | None = None) -> list[str]:
        """The same, asked at every poll while the probe is out."""
        ...

    def probe_progress(self, done: int, total: int) -> None:
        """The truck is drawn for sampling (done 0), then the cores the sampler has taken."""
        ...

    def probe_cycle(self, running: bool) -> None:
        """True before the sampler cycle may START, False once it ended however it ended, so
        the lane checks the interlocks itself in between."""
        ...


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict | None
    reasons: tuple[str, ...]
    label: str | None


class Inspector:
    """Runs inspections for one lane. The classifier may be None: a gate without a usable model
    still weighs, and a truck the plan would sample is recorded not sampled
    ("not_sampled:model_unavailable") and never probed; a model lost mid-inspection is REVIEW."""

    def __init__(self, cfg: GateConfig, lane: LaneConfig, records: Records, sampler: Sampler,
                 camera: Camera, classifier: Classifier | None, model_sha256: str | None,
                 abstain_below: float, clock: Clock) -> None:
        self.clock = clock
        self.cfg, self.lane, self.records = cfg, lane, records
        self.sampler, self.camera, self.classifier = sampler, camera, classifier
        self.model_sha256, self.abstain_below = model_sha256, abstain_below
        self.tiles = cfg.model.tiles
        # The card's multi-frame calibration (None for an older card: every load judged per image).
        self.gate: GateCalibration | None = getattr(getattr(classifier, "card", None), "gate", None)
        self.sampling = Sampling(records.engine, cfg.sampling, cfg.site.name)
        self.inferences, self.inference_seconds = 0, 0.0   # for /metrics
        # Wall seconds one frame's inference may take; a slower model is a fault (REVIEW). One
        # inference thread per lane: a stuck inference blocks no other work, and no second one
        # starts behind it (the model is "busy" until it returns). The sessions it borrows are
        # the gate's one pool (vision/pool.py), which bounds inferences at once across lanes.
        self.inference_deadline_s = cfg.model.inference_deadline_s
        self._inference = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"inference-{lane.id}")
        self._running: Future | None = None
        self.mm_per_px, self.scale_fault = camera_scale(lane.camera)
        # Set by the gate: the model the registry has in service (intake.learning.live).
        self.follow: Callable[[], object] | None = None

    def _use(self, loaded) -> None:
        """Judge with `loaded` (intake.learning.live.Loaded) from this inspection on."""
        sha = loaded.sha256 if loaded.classifier is not None else None   # no model judged: none recorded
        if sha == self.model_sha256 and loaded.classifier is self.classifier:
            return
        self.classifier, self.model_sha256 = loaded.classifier, sha
        card = getattr(loaded.classifier, "card", None)
        self.abstain_below = float(card.abstain_confidence) if card is not None else 0.0
        self.gate = getattr(card, "gate", None)

    async def inspect(self, adm: Admission, lane: LaneSide) -> Outcome:
        if self.follow is not None:   # between inspections only: this truck keeps one model
            self._use(await asyncio.to_thread(self.follow))
        s = self.cfg.sampling
        # The keyed, audited selection (recorded before anything acts on it). Without a model a
        # sample could not be judged: the truck is not probed for nothing (intake.sampling.policy).
        unavailable: Unavailable | None = "model_unavailable" if self.classifier is None else None
        plan = await asyncio.to_thread(self.sampling.decide, adm.visit, adm.supplier, adm.material,
                                       adm.plate, adm.bed_mm, None, unavailable)
        if not plan.selection.sampled:
            reasons = [NOT_SAMPLED_PREFIX + plan.selection.reason] if plan.selection.reason in UNAVAILABLE else []
            await asyncio.to_thread(self.records.record_decision, adm.visit, None, reasons, None)
            return Outcome(None, tuple(reasons), None)
        if plan.plan_error:
            return await self._decide(adm, Judgement("review", [f"plan:{plan.plan_error}"]), None, lane)
        code = blind_code(s.secret, adm.visit)
        sample_id = await asyncio.to_thread(self.records.record_sample, self._sample_row(adm, plan, code))
        lane.probe_progress(0, len(plan.points_mm))   # the driver is asked to leave the cab
        try:
            await self._wait_interlocks(lane)
            lane.probe_cycle(True)
            try:
                mass_g = await self.sampler.take(code, plan.points_mm, adm.bed_mm, guard=lane.probe_guard,
                                                 progress=lane.probe_progress)
            finally:
                lane.probe_cycle(False)
        except Exception as exc:  # any sampler failure: recorded, then REVIEW
            reason = str(exc) if str(exc).startswith("interlock:") else f"sampler:{exc}"
            await asyncio.to_thread(self.records.record_sample_result,
                                    SampleResult(sample_id=sample_id, status="failed", failure=reason))
            return await self._decide(adm, Judgement("review", [reason]), None, lane)
        await asyncio.to_thread(self.records.record_sample_result,
                                SampleResult(sample_id=sample_id, status="taken", mass_g=mass_g))
        judgement, label = await asyncio.to_thread(self._judge_frames, adm, sample_id)
        return await self._decide(adm, judgement, label, lane)

    def _classify(self, image: np.ndarray) -> list:
        """The frame's predictions: the whole frame first, then its tiles when tiling is on."""
        if self._running is not None and not self._running.done():
            raise RuntimeError("inference_busy")
        assert self.classifier is not None
        run = self.classifier.classify_tiles if self.tiles else (lambda im: [self.classifier.classify(im)])
        started = time.perf_counter()
        self._running = self._inference.submit(run, image)
        try:
            pred = self._running.result(timeout=self.inference_deadline_s)
        except FutureTimeout:
            raise RuntimeError("inference_timeout") from None
        self.inferences += 1
        self.inference_seconds += time.perf_counter() - started
        return pred

    async def _wait_interlocks(self, lane: LaneSide) -> None:
        """Poll until every interlock holds; on timeout the sample fails (REVIEW), probe never moves."""
        deadline = self.clock.now() + self.lane.sampler.interlock_timeout_s
        while failed := await lane.interlock_failures():
            if self.clock.now() > deadline:
                raise RuntimeError("interlock:" + ",".join(failed))
            await self.clock.sleep(0.25)

    def _sample_row(self, adm: Admission, plan: Decided, code: int) -> Sample:
        return Sample(visit_id=adm.visit, blind_code=code,
                      draw=plan.selection.draw, points_m=[list(p) for p in plan.points_m])

    async def _decide(self, adm: Admission, judgement: Judgement, label: str | None, lane: LaneSide) -> Outcome:
        holds = lane.holds()
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
        rows: list[Frame] = []
        preds: list[list] = []
        faults: list[str] = []
        for i, image in enumerate(images):
            quality = assess(image)
            row = _save_frame(folder, i, image, self.cfg.site.data_dir, quality)
            if quality.ok and self.classifier is not None and not faults:
                try:
                    found = self._classify(image)
                except Exception as exc:   # after one model fault the other frames are not tried
                    faults.append(f"model:{exc or type(exc).__name__}")
                    found = []
                if found:
                    preds.append(found)    # the whole frame, then its tiles
                    row.label, row.confidence = found[0].label, float(found[0].confidence)
            rows.append(row)
        evidence = self._evidence(images, rows, preds, faults)
        good = [im for im, row in zip(images, rows) if row.quality_ok]
        graded, graded_json = self._grade(good)
        return self._record(sample_id, rows, replace(evidence, particles=self._measure(good), grading=graded), rule,
                            graded_json)

    def _grade(self, images: list[np.ndarray]) -> tuple[Grading | None, dict]:
        """The load's grading (vision.grading, median over the good frames) and its record;
        no scale or any failure is 'not graded' (which a rule with grading limits holds)."""
        if self.mm_per_px is None:
            return None, {"measured": False, "reason": self.scale_fault or "no_calibration"}
        if not images:
            return None, {"measured": False, "reason": "no_good_frame"}
        try:
            g = combine([grade(im, self.mm_per_px) for im in images], self.mm_per_px)
        except Exception as exc:  # no frame to grade, a flat frame, a bug: never a PASS by grading
            log.warning("grading failed: %s", exc)
            return None, {"measured": False, "reason": f"error:{type(exc).__name__}"}
        return g, {"measured": True, **g.to_json()}

    def _measure(self, images: list[np.ndarray]) -> particles.Measurements:
        """Particle figures over the frames that passed the quality gate; any failure is
        'not measured' (which a rule needing the figure turns into REVIEW)."""
        if self.mm_per_px is None:
            return particles.not_measured(self.scale_fault or "no_calibration")
        try:
            return particles.aggregate([particles.measure(im, self.mm_per_px) for im in images])
        except Exception as exc:  # a measurement bug must not stop the inspection
            log.warning("particle measurement failed: %s", exc)
            return particles.not_measured(f"error:{type(exc).__name__}", self.mm_per_px)

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
        # Near-identical frames of one tray are one view: only distinct views earn the card's
        # multi-frame thresholds (a camera that re-shoots the same scene is judged per image).
        seen = [thumbnail(im) for im, row in zip(images, rows) if row.label is not None]
        same = self.gate.same_view if self.gate else 1.0
        return evidence_of(preds, distinct_views(seen, same))

    def _record(self, sample_id: int, rows: list[Frame], ev: Evidence, rule,
                grading: dict | None = None) -> tuple[Judgement, str | None]:
        """Judge and store. The Inspection's `measurements` are the particle figures with the
        load's grading under `grading` (both when the frames got that far)."""
        judgement = judge(rule, ev, self.abstain_below, self.gate)
        measurements = ev.particles.to_json() if ev.particles else None
        if grading is not None:
            measurements = {**(measurements or {}), "grading": grading}
        inspection = Inspection(sample_id=sample_id, model_sha256=self.model_sha256, label=ev.label,
                                confidence=ev.confidence if ev.label else None,
                                probs=dict(ev.probs), frames_agree=ev.frames_agree, faults=list(ev.faults),
                                measurements=measurements)
        self.records.record_inspection(inspection, rows)
        return judgement, ev.label


def camera_scale(camera: CameraConfig) -> tuple[float | None, str | None]:
    """(mm per pixel, why not) from the lane's camera config: the explicit figure, else the
    calibration file. An unreadable file leaves particles unmeasured; it stops nothing."""
    if camera.mm_per_px is not None:
        return camera.mm_per_px, None
    if camera.calibration is None:
        return None, "no_calibration"
    try:
        return Calibration.model_validate_json(camera.calibration.read_text(encoding="utf-8")).mm_per_px, None
    except (OSError, ValueError) as exc:
        log.warning("camera calibration %s unreadable: %s", camera.calibration, exc)
        return None, "calibration_unreadable"


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
