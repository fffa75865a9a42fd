"""What every simulated Modbus device shares: a register server and one scan loop."""
from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod

from hardware.modbus.sim_server import RegisterServer


class ScannedDevice(ABC):
    """`await start()` returns the bound port; `await stop()` ends the scan loop and the server."""

    _server: RegisterServer
    _scan_name = "modbus-sim-scan"

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        return self._server.port

    async def start(self) -> int:
        port = await self._server.start()
        await self._on_start()
        self._task = asyncio.create_task(self._run(), name=self._scan_name)
        return port

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._server.stop()

    async def _on_start(self) -> None:  # noqa: B027 - an optional hook, empty by default
        """The device's first register image, before any master can read."""

    @abstractmethod
    async def _run(self) -> None:
        """The device's scan loop, until cancelled."""
