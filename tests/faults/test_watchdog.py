"""The watchdog: a hung lane loop on the simulated plant is cancelled and restarted, the truck
on the deck is not passed, restarts are counted and rate-limited, and a lane whose loop keeps
hanging stays out of service and says why (kiosk status, /health, /metrics, sd_notify)."""
from __future__ import annotations

import asyncio
import configparser
import socket
import threading

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from intake.demo.runner import PROJECT_ROOT
from .injector import FaultSpec
from intake.lane.status import LaneStep
from intake.metrics import metrics_router
from intake.watchdog import SystemdNotifier, Watchdog
from intake.web.health import health_payload
from .harness import check_invariants, run_scenario


def _fast_watchdog(max_restarts: int, notify: str = ""):
    def setup(gate) -> None:
        gate.watchdog = Watchdog(max_restarts=max_restarts, window_s=600.0, check_s=0.1,
                                 notifier=SystemdNotifier(notify))
        gate.lane_hang_s = 0.5   # wall seconds without a heartbeat
    return setup


class _SystemdStandIn:
    """Reads the gate's sd_notify datagrams on a real socket, in order, as systemd would."""

    def __init__(self, path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.05)
        self.messages: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except TimeoutError:
                continue

    def close(self) -> list[str]:
        self._stop.set()
        self._thread.join()
        self.sock.close()
        return self.messages


def _metric(gate, name: str, loop: str) -> float:
    app = FastAPI()
    app.include_router(metrics_router(gate))
    text = TestClient(app).get("/metrics").text
    return next(s.value for f in text_string_to_metric_families(text) for s in f.samples
                if s.name == name and s.labels.get("loop") == loop)


def test_hung_lane_loop_is_restarted_and_the_truck_on_the_deck_is_not_passed(tmp_path):
    # Truck 0 (good sand, a PASS without faults) is on the deck when the lane loop blocks.
    o = run_scenario(tmp_path, 2, [FaultSpec(0, "lane.hang", at="positioned", amount=1)],
                     setup=_fast_watchdog(3))
    check_invariants(o, touched={0})
    first = o.first(0)
    assert first.verdict == "review" and "watchdog_restart" in sum(first.reasons, []), first
    assert o.gate.watchdog.restarts()["lane 1"] == 1
    assert o.gate.watchdog.report()["lane 1"]["state"] == "ok"   # back in service for truck 1
    assert o.of(1) and all("in" in v.weights for v in o.of(1))
    assert _metric(o.gate, "intake_loop_restarts_total", "lane 1") == 1
    assert _metric(o.gate, "intake_loop_up", "lane 1") == 1


def test_a_loop_that_keeps_hanging_is_rate_limited_and_the_lane_stays_closed(tmp_path, monkeypatch):
    # It hangs on every start: two restarts, then the watchdog gives up on the lane.
    monkeypatch.setenv("WATCHDOG_USEC", "200000")   # pet every 0.1 s while healthy
    systemd = _SystemdStandIn(tmp_path / "notify")
    try:
        o = run_scenario(tmp_path, 2, [FaultSpec(0, "lane.hang", at="positioned", amount=99)],
                         setup=_fast_watchdog(2, str(tmp_path / "notify")))
    finally:
        sent = systemd.close()
    assert o.code == 1   # truck 0 backed off by staff, truck 1 never let in
    gate = o.gate
    assert gate.watchdog.restarts()["lane 1"] == 2
    loop = gate.watchdog.report()["lane 1"]
    assert loop["state"] == "failed" and "gave up after 2 restarts" in loop["reason"]
    # The truck that was on the deck: voided to REVIEW by the first restart (or, had every
    # restart hung before that, recorded from outside the dead loop), and sent back loaded.
    assert [v.verdict for v in o.of(0)] == ["review"]
    assert {"watchdog_restart", "watchdog:lane_down"} & set(sum(o.first(0).reasons, []))
    assert "pass" not in o.first(0).verdicts and "in" not in o.first(0).weights
    assert not o.of(1)   # the entry stayed closed: no visit at all
    status = gate.hub.latest("1")
    assert status.step is LaneStep.OUT_OF_SERVICE and status.fault.startswith("watchdog:lane:")
    health = health_payload(gate.hub, gate.health)
    assert health["status"] == "down" and health["loops"]["lane 1"]["state"] == "failed"
    assert _metric(gate, "intake_loop_up", "lane 1") == 0
    assert o.chain_ok, o.chain_problems
    # systemd was told READY and petted while healthy; once the lane gave up, never again.
    assert sent[0].startswith("READY=1") and "WATCHDOG=1" in sent
    gave_up = max(i for i, m in enumerate(sent) if "gave up after 2 restarts" in m)
    assert "WATCHDOG=1" not in sent[gave_up:]


def test_the_systemd_unit_runs_the_gate_under_its_watchdog():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str   # systemd keys are case-sensitive
    unit.read(PROJECT_ROOT / "deploy" / "intake-gate.service", encoding="utf-8")
    service = unit["Service"]
    assert service["Type"] == "notify" and service["NotifyAccess"] == "main"
    assert "intake run" in service["ExecStart"]   # the gate itself sends READY=1 and WATCHDOG=1
    assert int(service["WatchdogSec"]) >= 10 and service["Restart"] == "on-failure"


# ---- the supervisor alone, on real tasks and a real NOTIFY_SOCKET ------------------------

def _listen(tmp_path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.setblocking(False)
    return sock


def _received(sock: socket.socket) -> list[str]:
    out = []
    while True:
        try:
            out.append(sock.recv(4096).decode())
        except BlockingIOError:
            return out


def test_pets_systemd_only_while_every_loop_beats(tmp_path, monkeypatch):
    sock = _listen(tmp_path)
    monkeypatch.setenv("WATCHDOG_USEC", "40000")   # pet every 20 ms
    dog = Watchdog(max_restarts=1, window_s=60.0, check_s=0.02, notifier=SystemdNotifier(str(tmp_path / "notify")))
    hang = asyncio.Event()
    events: list[tuple[str, bool]] = []

    async def worker() -> None:
        while True:
            beat.beat()
            if hang.is_set():
                await asyncio.Event().wait()   # a real hang: never returns by itself
            await asyncio.sleep(0.01)

    beat = dog.watch("worker", worker, period_s=0.1, on_down=lambda why, final: events.append((why, final)))

    async def scenario() -> tuple[list[str], list[str], list[str]]:
        stop = asyncio.Event()
        run = asyncio.create_task(dog.run(stop))
        await asyncio.sleep(0.3)
        healthy = _received(sock)
        hang.set()                      # hangs now, and again after its one restart
        await asyncio.sleep(0.6)
        failing = _received(sock)
        await asyncio.sleep(0.2)
        after = _received(sock)
        stop.set()
        await run
        return healthy, failing, after

    healthy, failing, after = asyncio.run(asyncio.wait_for(scenario(), 10))
    assert healthy[0].startswith("READY=1") and healthy.count("WATCHDOG=1") >= 3
    assert any(m.startswith("STATUS=worker: hung") for m in failing)
    assert dog.restarts() == {"worker": 1} and dog.report()["worker"]["state"] == "failed"
    assert [final for _, final in events] == [False, False, True]
    assert "WATCHDOG=1" not in after   # gave up: systemd will restart the service


def test_a_crashed_loop_is_restarted_and_comes_back(tmp_path):
    dog = Watchdog(max_restarts=3, window_s=60.0, check_s=0.02, notifier=SystemdNotifier(""))
    starts: list[int] = []
    ups: list[int] = []

    stop = asyncio.Event()

    async def flaky() -> None:
        starts.append(1)
        if len(starts) == 1:
            raise RuntimeError("device library bug")
        while not stop.is_set():
            beat.beat()
            await asyncio.sleep(0.01)

    beat = dog.watch("flaky", flaky, period_s=0.2, on_up=lambda: ups.append(1))

    async def scenario() -> None:
        run = asyncio.create_task(dog.run(stop))
        await asyncio.sleep(0.3)
        stop.set()
        await run

    asyncio.run(asyncio.wait_for(scenario(), 10))
    assert len(starts) == 2 and ups == [1]
    assert dog.restarts() == {"flaky": 1} and dog.healthy()
