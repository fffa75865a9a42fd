"""Driver prompts: every new instruction a lane shows is logged, and optionally spoken.

Speech uses an external text-to-speech command (espeak-ng by default: Mandarin, then English).
It is best effort: a missing or slow speaker never delays the lane, and a prompt still being
spoken is not queued behind (the next prompt replaces it).
"""
from __future__ import annotations

import asyncio
import logging
import shutil
from typing import Sequence

from intake.lane.status import LaneStatus, StatusHub
from intake.web.i18n import INSTRUCTIONS, status_key

KEPT_PROMPTS = 1000   # prompts remembered (tests, diagnosis); the log keeps them all

log = logging.getLogger("intake.prompts")
ESPEAK = (("espeak-ng", "-v", "cmn", "{zh}"), ("espeak-ng", "-v", "en", "{en}"))


class PromptAnnouncer:
    def __init__(self, hub: StatusHub, lanes: Sequence[str], speak: bool = False,
                 commands: Sequence[Sequence[str]] = ESPEAK) -> None:
        self.hub, self.lanes, self.speak, self.commands = hub, list(lanes), speak, [list(c) for c in commands]
        self.spoken: list[tuple[str, str]] = []   # (lane, instruction key), for the log and tests
        self._last: dict[str, str] = {}
        self._speaking: dict[str, asyncio.Task[None]] = {}
        if speak and not shutil.which(self.commands[0][0]):
            log.warning("prompt speech is on but %s is not installed; prompts are only logged", self.commands[0][0])
            self.speak = False

    async def run(self, stop: asyncio.Event) -> None:
        queues = {lane: self.hub.subscribe(lane) for lane in self.lanes}
        try:
            while not stop.is_set():
                for queue in queues.values():
                    while not queue.empty():
                        self.announce(queue.get_nowait())
                await asyncio.sleep(0.05)
        finally:
            for lane, queue in queues.items():
                self.hub.unsubscribe(lane, queue)
            for task in self._speaking.values():
                task.cancel()

    def announce(self, status: LaneStatus) -> None:
        key = status_key(status)
        if self._last.get(status.lane) == key:
            return
        self._last[status.lane] = key
        zh, en = INSTRUCTIONS[key]
        log.info("lane %s prompt %s: %s / %s", status.lane, key, zh, en)
        self.spoken.append((status.lane, key))
        del self.spoken[:-KEPT_PROMPTS]   # a gate runs for months: keep only the latest
        if self.speak:
            previous = self._speaking.get(status.lane)
            if previous is not None:
                previous.cancel()
            self._speaking[status.lane] = asyncio.create_task(self._say(zh, en))

    async def _say(self, zh: str, en: str) -> None:
        for template in self.commands:
            args = [part.format(zh=zh, en=en) for part in template]
            proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.DEVNULL,
                                                        stderr=asyncio.subprocess.DEVNULL)
            try:
                await asyncio.wait_for(proc.wait(), timeout=15)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                proc.kill()
                await proc.wait()
                raise
