"""The remote attendant in a real browser against the real gate: the demo runner drives one truck
whose driver stays in the cab (REVIEW) over the simulated plant, with an attendant hold window,
so the truck waits on the deck. Real lane machine, store, web and Modbus I/O module simulator;
what the test reads of the barrier is the arm orders the simulated I/O module took.

The driver presses the kiosk's call button and the console raises the lane (visibly, and a tone);
a reviewer cannot open the console; a release without reason is refused and nothing moves; a
release with a reason is recorded as a new decision and the plant arm opens. The overview shows
the lane too. Screenshots go to test-artifacts/screenshots/console-*.png.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, col, select

from hardware.modbus.gateio_sim import GateIOSimulator
from hardware.sim.plant import PlantTiming
from hardware.sim.trucks import DEMO_MIX
from intake.auth.users import Users
from intake.demo.runner import DemoOptions, run_demo
from intake.gate import Gate
from intake.store.attendant import AttendantEvent
from intake.store.tables import Decision
from tests.e2e.browser_support import SCREENSHOTS
from tests.faults.recorder import StatusRecorder, ordered_open

PASSWORD = "correct horse battery"
SPEED = 20
HOLD_S = 1200.0        # simulated: a minute of wall time for the browser to act in
TIMEOUT_MS = 60_000
IN_CAB = next(t for t in DEMO_MIX if t.behaviour == "stays_in_cab")


@dataclass
class Run:
    url: str = ""
    gate: Gate | None = None
    io: GateIOSimulator | None = None
    arms: StatusRecorder = field(default_factory=StatusRecorder)
    lines: list[dict] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    tmp, state = tmp_path_factory.mktemp("console"), Run()

    def on_gate(gate: Gate, base: str | None) -> None:
        state.url, state.gate = base or "", gate
        state.ready.set()

    def demo() -> None:
        opts = DemoOptions(trucks=1, speed=SPEED, db=f"sqlite:///{tmp / 'gate.db'}", port=0, sampling_rate=1.0,
                           data_dir=tmp / "data", plugins=(state.arms,), attendant_hold_s=HOLD_S,
                           scenarios=(replace(IN_CAB, plate="沪A·H1009"),),
                           plant_timing=PlantTiming(route_give_up_s=HOLD_S * 2),
                           on_devices=lambda devices: setattr(state, "io", devices["gateio"]))
        try:
            asyncio.run(asyncio.wait_for(run_demo(opts, state.lines.append, on_gate=on_gate), timeout=300))
        except BaseException as exc:   # reported by the test, not lost in the thread
            state.errors.append(exc)
        finally:
            state.ready.set()
            state.finished.set()

    thread = threading.Thread(target=demo, name="demo", daemon=True)
    thread.start()
    assert state.ready.wait(120) and state.gate is not None, f"the demo gate did not start: {state.errors}"
    users = Users(state.gate.records.engine)
    users.add("att", PASSWORD, "attendant")
    users.add("rev", PASSWORD, "reviewer")
    yield state
    state.finished.wait(240)
    thread.join(30)


def log_in(browser: Browser, url: str, user: str) -> Page:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{url}/login?next=/console")
    page.fill('input[name="username"]', user)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    return page


def plant_ordered_open(run: Run) -> bool:
    assert run.io is not None
    return "plant" in ordered_open(run.io)


def test_an_attendant_releases_a_held_truck_and_the_plant_arm_opens(browser: Browser, run: Run) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    reviewer = log_in(browser, run.url, "rev")
    expect(reviewer.locator("h1")).to_contain_text("没有权限")   # logged in, and refused the console
    assert "远程值守台" not in reviewer.content()
    assert reviewer.request.get(f"{run.url}/console").status == 403
    reviewer.close()

    console = log_in(browser, run.url, "att")
    expect(console).to_have_url(f"{run.url}/console")
    card = console.locator('[data-testid="lane-card-1"]')
    expect(card).to_have_attribute("data-step", "held", timeout=TIMEOUT_MS)
    expect(console.locator('[data-testid="answer-1"]')).to_be_visible()
    assert not plant_ordered_open(run)

    # The driver calls from the kiosk: the console raises the lane and sounds.
    kiosk = browser.new_page()
    kiosk.goto(f"{run.url}/kiosk/1")
    kiosk.click('[data-testid="call"]')
    expect(kiosk.locator('[data-testid="call-state"]')).to_be_visible(timeout=TIMEOUT_MS)
    expect(card.locator('[data-field="called"]')).to_be_visible(timeout=TIMEOUT_MS)
    expect(card).to_have_class("lane-card calling")
    assert int(console.evaluate("document.body.dataset.beeps")) >= 1
    console.screenshot(path=str(SCREENSHOTS / "console-held.png"))

    # A release without a reason: the browser would not send it; forced, the server refuses it.
    console.evaluate("document.querySelector('[data-testid=\"reason-1\"]').removeAttribute('required')")
    console.click('[data-testid="release-1"]')
    expect(console.locator('[data-testid="refused"]')).to_contain_text("必须填写理由")
    assert not plant_ordered_open(run)
    expect(card).to_have_attribute("data-step", "held")

    console.fill('[data-testid="reason-1"]', "照片显示为洁净砂 photos show clean sand")
    console.click('[data-testid="release-1"]')
    expect(console.locator('[data-testid="sent"]')).to_be_visible()
    expect(card).to_have_attribute("data-step", "decided", timeout=TIMEOUT_MS)
    expect(kiosk.locator('[data-testid="instruction"]')).to_contain_text("值守员已放行", timeout=TIMEOUT_MS)
    assert plant_ordered_open(run)
    # The log at the foot follows: the gate's answer appears without a reload.
    expect(console.locator('[data-testid="attendant-log"]')).to_contain_text("已执行", timeout=TIMEOUT_MS)
    console.screenshot(path=str(SCREENSHOTS / "console-released.png"))

    overview = console
    overview.goto(f"{run.url}/lanes")
    expect(overview.locator('[data-testid="lane-card-1"]')).to_be_visible()
    expect(overview.locator('[data-testid="last-1"]')).to_contain_text("沪A·H1009")
    overview.screenshot(path=str(SCREENSHOTS / "console-overview.png"))
    kiosk.close()
    overview.close()


def test_the_release_is_a_new_chained_decision_written_before_the_arm_moved(run: Run) -> None:
    assert run.finished.wait(240), "the demo did not finish"
    assert not run.errors, run.errors
    assert run.gate is not None
    with Session(run.gate.records.engine) as session:
        events = list(session.exec(select(AttendantEvent).order_by(col(AttendantEvent.id))))
        decisions = list(session.exec(select(Decision).order_by(col(Decision.id))))
    kinds = [(e.kind, e.action) for e in events]
    assert ("call", None) in kinds and kinds[-2:] == [("request", "release"), ("done", "release")]
    done = events[-1]
    assert done.by == "att" and done.reason and "clean sand" in done.reason
    verdicts = [(d.verdict, d.reasons) for d in decisions]
    assert ("review", verdicts[0][1]) == verdicts[0] and verdicts[0][0] == "review"   # the gate's own, kept
    assert ("pass", ["attendant_release"]) in verdicts and done.decision_id == decisions[verdicts.index(
        ("pass", ["attendant_release"]))].id
    # Every snapshot with the plant arm open came after the release, never while the truck waited.
    opened = [status for status, arms in run.arms.shown if "plant" in arms]
    assert opened and all(s.attendant == "release" or s.step != "held" for s in opened)
    assert not any(s.step == "held" and "plant" in arms for s, arms in run.arms.shown)
    [line] = [ln for ln in run.lines if ln.get("plate") == "沪A·H1009"]
    assert line.get("verdict") == "pass" or line.get("received") is True, line
