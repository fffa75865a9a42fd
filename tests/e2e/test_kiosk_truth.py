"""The kiosk tells the truth: the whole gate on the simulated plant, the kiosk open in Chromium,
and every decision screen the driver saw checked against the exit arm the gate ordered open.

The browser side records every instruction the page showed (a MutationObserver, so no screen is
missed between polls); the gate side records, at each snapshot the lane published, which arms
the simulated I/O module had been told to open. A screen that says "drive into the plant" must
stand beside an open plant arm and a shut return arm, and "leave by the return lane" beside the
opposite; every outcome (PASS, REJECT, REVIEW, not sampled) is walked.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from intake.demo.runner import DemoOptions, run_demo
from intake.gate import Gate
from intake.web import i18n
from tests.e2e.browser_support import SCREENSHOTS
from tests.faults.recorder import StatusRecorder

SPEED = 20
RECORD_SCREENS = """
window.screens = [];
const note = () => {
  const text = document.querySelector('[data-testid="instruction"] .zh');
  const plate = document.querySelector('[data-testid="plate"]');
  if (!text || !plate) return;
  const seen = {step: document.body.dataset.step, plate: plate.textContent, zh: text.textContent};
  const last = window.screens[window.screens.length - 1];
  if (!last || last.step !== seen.step || last.zh !== seen.zh || last.plate !== seen.plate) window.screens.push(seen);
};
document.addEventListener("DOMContentLoaded", () => {
  note();
  new MutationObserver(note).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
});
"""


@dataclass
class Run:
    arms: StatusRecorder
    screens: list[dict[str, str]]
    lines: list[dict]


def _walk(browser: Browser, tmp: Path, trucks: int, rate: float, shot: str) -> Run:
    """The demo in its own thread and loop; the kiosk page in Chromium from the first truck."""
    arms, lines = StatusRecorder(), []
    url: list[str] = []
    ready, finished = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def on_gate(gate: Gate, base: str | None) -> None:
        url.append(f"{base}/kiosk/{gate.cfg.lanes[0].id}")
        ready.set()

    def demo() -> None:
        opts = DemoOptions(trucks=trucks, speed=SPEED, db=f"sqlite:///{tmp / 'gate.db'}", port=0,
                           sampling_rate=rate, data_dir=tmp / "data", plugins=(arms,))
        try:
            asyncio.run(asyncio.wait_for(run_demo(opts, lines.append, on_gate=on_gate), timeout=420))
        except BaseException as exc:   # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            ready.set()
            finished.set()

    thread = threading.Thread(target=demo, name="demo", daemon=True)
    thread.start()
    assert ready.wait(120), "the demo gate did not start"
    assert url, f"the demo gate did not start: {errors}"
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.add_init_script(RECORD_SCREENS)
    page.goto(url[0])
    assert finished.wait(480), "the demo did not finish"
    screens = page.evaluate("window.screens")
    page.screenshot(path=str(SCREENSHOTS / f"kiosk-truth-{shot}.png"))
    page.close()
    thread.join(30)
    assert not errors, errors
    return Run(arms, screens, lines)


@pytest.fixture(scope="module")
def walked(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Run]]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # Nine trucks, every one sampled: pass, reject (mud, foreign matter, wrong material), review
    # (a driver who never leaves the cab), an unknown truck refused; then one not sampled.
    yield [_walk(browser, tmp_path_factory.mktemp("mix"), 9, 1.0, "mix"),
           _walk(browser, tmp_path_factory.mktemp("unsampled"), 1, 0.0, "unsampled")]


PLANT_WORDS, RETURN_WORDS = "驶入厂区", "退回通道"


def test_every_decision_screen_names_the_arm_the_gate_opened(walked: list[Run]) -> None:
    checked = 0
    for run in walked:
        for status, opened in run.arms.shown:
            if status.step != "decided" or status.route is None:
                continue
            zh, en = i18n.instruction(status)
            if status.route == "plant":
                assert opened >= {"plant"} and "return" not in opened, (status, opened)
                assert PLANT_WORDS in zh and RETURN_WORDS not in zh, (zh, status)
            else:
                assert opened >= {"return"} and "plant" not in opened, (status, opened)
                assert RETURN_WORDS in zh and PLANT_WORDS not in zh, (zh, status)
            checked += 1
    assert checked >= 9


def test_the_browser_showed_each_outcome_with_the_words_of_its_arm(walked: list[Run]) -> None:
    outcomes: set[str] = set()
    for run in walked:
        verdicts = {line["plate"]: line["verdict"] for line in run.lines if "refused" not in line}
        routes = {s.plate: s.route for s, _ in run.arms.shown if s.step == "decided" and s.route}
        decided = [s for s in run.screens if s["step"] == "decided" and s["plate"] in routes]
        for screen in decided:
            want = PLANT_WORDS if routes[screen["plate"]] == "plant" else RETURN_WORDS
            assert want in screen["zh"], screen
            outcomes.add(verdicts.get(screen["plate"]) or "not sampled")
    assert outcomes >= {"pass", "reject", "review", "not sampled"}, outcomes


def test_the_probe_cycle_and_the_end_screen_were_shown(walked: list[Run]) -> None:
    said = {screen["zh"] for run in walked for screen in run.screens}
    for key in ("sampling", "sampling.running", "inspecting.done", "leaving"):
        assert i18n.INSTRUCTIONS[key][0] in said, key
    receipts = [s.receipt for run in walked for s, _ in run.arms.shown if s.receipt is not None]
    tickets = {line["ticket"] for run in walked for line in run.lines if line.get("ticket")}
    assert receipts and {r.ticket for r in receipts} <= tickets | {None}
    for r in receipts:
        assert r.net_kg == ((r.gross_kg or 0) - (r.tare_kg or 0) if r.received else 0)
