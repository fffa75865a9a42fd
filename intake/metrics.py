"""`/metrics`: the gate's state in the Prometheus text format, read at scrape time."""
from __future__ import annotations

from typing import Iterator

from fastapi import APIRouter, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from intake.alarms.service import alarms_health
from intake.gate import Gate
from intake.lane.status import LaneStep
from intake.store.integrity import state_for


class GateCollector(Collector):
    def __init__(self, gate: Gate) -> None:
        self.gate = gate

    def collect(self) -> Iterator[Metric]:
        lanes = self.gate.lanes
        trucks = CounterMetricFamily("intake_trucks", "Visits finished (weigh-out or voided)", labels=["lane"])
        verdicts = CounterMetricFamily("intake_inspections", "Inspection outcomes", labels=["lane", "verdict"])
        frames = CounterMetricFamily("intake_scale_frames", "Indicator frames decoded", labels=["lane"])
        errors = CounterMetricFamily("intake_scale_frame_errors", "Indicator frames refused", labels=["lane"])
        skipped = CounterMetricFamily("intake_scale_skipped_bytes", "Bytes that were no frame", labels=["lane"])
        infer_n = CounterMetricFamily("intake_inference", "Frames classified", labels=["lane"])
        infer_s = CounterMetricFamily("intake_inference_seconds", "Time spent classifying", labels=["lane"])
        queue = GaugeMetricFamily("intake_identification_queue", "Identifications waiting", labels=["lane"])
        beat = GaugeMetricFamily("intake_lane_heartbeat_age_seconds", "Since the lane loop last ran", labels=["lane"])
        down = GaugeMetricFamily("intake_lane_out_of_service", "1 while the lane admits nobody", labels=["lane"])
        for lane in lanes:
            lid = lane.cfg.id
            trucks.add_metric([lid], lane.visits_done)
            for verdict, n in sorted(lane.verdicts.items()):
                verdicts.add_metric([lid, verdict], n)
            stats = lane.scale.stats() if hasattr(lane.scale, "stats") else None
            if stats is not None:
                frames.add_metric([lid], stats.frames)
                errors.add_metric([lid], stats.errors)
                skipped.add_metric([lid], stats.skipped_bytes)
            infer_n.add_metric([lid], lane.inspector.inferences)
            infer_s.add_metric([lid], lane.inspector.inference_seconds)
            queue.add_metric([lid], lane.plates.qsize())
            beat.add_metric([lid], max(0.0, self.gate.clock.now() - lane.heartbeat) / self.gate.clock.speed)
            status = self.gate.hub.latest(lid)
            down.add_metric([lid], 1.0 if status is not None and status.step is LaneStep.OUT_OF_SERVICE else 0.0)
        yield from (trucks, verdicts, frames, errors, skipped, infer_n, infer_s, queue, beat, down)
        yield from self._watchdog()
        yield from self._evidence()
        yield from self._pool()
        yield from self._integrity()
        yield from self._alarms()

    def _evidence(self) -> Iterator[Metric]:
        """Deck snapshots by lane, view and outcome; weighings left without any (only with evidence cameras)."""
        desk = self.gate.evidence
        if desk is None:
            return
        shots = CounterMetricFamily("intake_deck_snapshots", "Deck evidence snapshots by outcome (ok, missing)",
                                    labels=["lane", "view", "outcome"])
        for (lane, view, outcome), n in sorted(desk.counts.items()):
            shots.add_metric([lane, view, outcome], n)
        lost = CounterMetricFamily("intake_deck_snapshot_losses",
                                   "Weighings left without evidence records (queue full, store error)",
                                   labels=["lane", "why"])
        for why, counter in (("queue_full", desk.dropped), ("store_error", desk.failed)):
            for lane, n in sorted(counter.items()):
                lost.add_metric([lane, why], n)
        yield from (shots, lost)

    def _alarms(self) -> Iterator[Metric]:
        """The alarm outbox's deliveries by status (only with alarm rules; never a scrape error)."""
        health = alarms_health(self.gate.cfg, self.gate.records.engine).get("alarms")
        if not isinstance(health, dict):
            return
        gauge = GaugeMetricFamily("intake_alarm_deliveries", "Alarm deliveries in the outbox by status",
                                  labels=["status"])
        for status in ("pending", "failed"):
            gauge.add_metric([status], float(health[status]))
        yield gauge

    def _integrity(self) -> Iterator[Metric]:
        state = state_for(self.gate.records.engine)
        ok = GaugeMetricFamily("intake_chain_ok", "1 while the audit chain verifies; 0: lanes refuse trucks")
        ok.add_metric([], 1.0 if state.ok else 0.0)
        runs = CounterMetricFamily("intake_chain_verify_runs", "Chain verifications run (start and background)")
        runs.add_metric([], float(state.runs))
        took = GaugeMetricFamily("intake_chain_verify_seconds", "Duration of the last chain verification")
        took.add_metric([], state.duration_s)
        at = GaugeMetricFamily("intake_chain_verified_timestamp_seconds", "When the chain last verified (Unix time)")
        at.add_metric([], state.verified_at.timestamp() if state.verified_at else 0.0)
        bad = GaugeMetricFamily("intake_chain_bad_rows", "Rows seen failing their chain link on read")
        bad.add_metric([], float(len(state.bad_rows)))
        yield from (ok, runs, took, at, bad)

    def _pool(self) -> Iterator[Metric]:
        """The ONNX session pool every lane borrows from (vision/pool.py)."""
        if self.gate.pool is None:
            return
        p = self.gate.pool.stats()
        for name, help_, value in (
                ("intake_inference_pool_sessions", "Sessions in the pool: inferences allowed at once", p.sessions),
                ("intake_inference_in_flight", "Inferences running now, all lanes", p.in_flight),
                ("intake_inference_in_flight_peak", "The most inferences ever running at once", p.peak_in_flight),
                ("intake_inference_waiting", "Lanes waiting for a free session now", p.waiting)):
            gauge = GaugeMetricFamily(name, help_)
            gauge.add_metric([], float(value))
            yield gauge
        for name, help_, value in (
                ("intake_inference_waited", "Frames that found every session taken and waited", p.waited),
                ("intake_inference_busy", "Frames refused: no session free within the deadline (REVIEW)", p.busy)):
            counter = CounterMetricFamily(name, help_)
            counter.add_metric([], float(value))
            yield counter

    def _watchdog(self) -> Iterator[Metric]:
        restarts = CounterMetricFamily("intake_loop_restarts", "Hung or crashed loops restarted by the watchdog",
                                       labels=["loop"])
        up = GaugeMetricFamily("intake_loop_up", "1 while the loop runs and beats; 0 while down or given up",
                               labels=["loop"])
        for name, row in sorted(self.gate.watchdog.report().items()):
            restarts.add_metric([name], float(row["restarts"]))  # type: ignore[arg-type]
            up.add_metric([name], 1.0 if row["state"] == "ok" else 0.0)
        yield from (restarts, up)


def metrics_router(gate: Gate) -> APIRouter:
    registry = CollectorRegistry()
    registry.register(GateCollector(gate))
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type="text/plain; version=0.0.4; charset=utf-8")

    return router
