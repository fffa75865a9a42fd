"""Driver prompts are logged on every change of instruction and spoken by a real subprocess."""
from __future__ import annotations

import asyncio
import sys

from intake.lane.status import LaneStatus, LaneStep, StatusHub
from intake.prompts import PromptAnnouncer


def statuses() -> list[LaneStatus]:
    return [LaneStatus(lane="1", step=LaneStep.IDLE), LaneStatus(lane="1", step=LaneStep.IDLE, weight_kg=40),
            LaneStatus(lane="1", step=LaneStep.WEIGHING_IN),
            LaneStatus(lane="1", step=LaneStep.DECIDED, verdict="reject", route="return")]


async def _lines_in(path, n: int, deadline_s: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    until = loop.time() + deadline_s
    while not (path.exists() and len(path.read_text(encoding="utf-8").splitlines()) >= n):
        assert loop.time() < until, f"the speaker did not say prompt {n} within {deadline_s} s"
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)   # a prompt that should not have been spoken would show by now


def test_each_new_instruction_is_announced_once_and_spoken(tmp_path):
    said = tmp_path / "said.txt"
    speaker = [sys.executable, "-c", f"import sys; open({str(said)!r}, 'a', encoding='utf-8').write(sys.argv[1] + '\\n')", "{zh}"]

    async def scenario() -> PromptAnnouncer:
        hub = StatusHub()
        announcer = PromptAnnouncer(hub, ["1"], speak=True, commands=[speaker])
        stop = asyncio.Event()
        task = asyncio.create_task(announcer.run(stop))
        # Each prompt is let finish speaking before the next (the next replaces one still being
        # spoken): wait for the speaker's line, however slow a loaded machine starts it.
        for status, lines in zip(statuses(), (1, 1, 2, 3)):
            hub.publish(status)
            await _lines_in(said, lines)
        stop.set()
        await task
        return announcer

    announcer = asyncio.run(scenario())
    assert announcer.spoken == [("1", "idle"), ("1", "weighing_in"), ("1", "decided.return.reject")]
    assert said.read_text(encoding="utf-8").splitlines() == ["请驶上地磅", "正在称重，请勿移动", "不合格，请从退回通道离开"]


def test_speech_falls_back_to_logging_when_the_speaker_is_missing():
    announcer = PromptAnnouncer(StatusHub(), ["1"], speak=True, commands=[["no-such-tts-binary", "{zh}"]])
    assert announcer.speak is False
