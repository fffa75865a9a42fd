"""One Modbus TCP connection to one device, with every failure turned into the device's error.

The device clients (sampler, gate I/O) speak in register names; this module is the only
place that talks to pymodbus' client, so a pymodbus API change is fixed here once.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException

from hardware.modbus.registers import Table


class ModbusLink:
    """Async client for one device. Reconnects on the next request after a connection loss."""

    def __init__(self, host: str, port: int, *, unit: int, timeout_s: float,
                 error: type[Exception], name: str) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be > 0")
        self.host, self.port, self.unit = host, port, unit
        self.timeout_s = timeout_s
        self._error = error
        self._name = name
        self._client: AsyncModbusTcpClient | None = None

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.connected

    async def connect(self) -> None:
        self.close()
        # reconnect_delay=0: no background reconnect task; we reconnect on the next request,
        # so a dead device surfaces as an error on the request that needed it.
        client = AsyncModbusTcpClient(self.host, port=self.port, timeout=self.timeout_s,
                                      retries=0, reconnect_delay=0)
        try:
            ok = await asyncio.wait_for(client.connect(), self.timeout_s * 2)
        except (asyncio.TimeoutError, OSError, ModbusException) as exc:
            client.close()
            raise self._error(f"{self._where}: cannot connect: {exc!r}") from exc
        if not ok:
            client.close()
            raise self._error(f"{self._where}: cannot connect")
        self._client = client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    async def read(self, table: Table, address: int, count: int) -> list[int]:
        """Registers as ints, bits as 0/1, exactly `count` of them."""
        client = await self._ready()
        readers = {
            Table.COIL: client.read_coils,
            Table.DISCRETE_INPUT: client.read_discrete_inputs,
            Table.HOLDING: client.read_holding_registers,
            Table.INPUT: client.read_input_registers,
        }
        reader = readers[table]
        rsp = await self._exchange(lambda: reader(address, count=count, device_id=self.unit),
                                   f"read {table} {address}+{count}")
        values: Sequence[Any] = rsp.bits if table.is_bit else rsp.registers
        if len(values) < count:
            raise self._error(f"{self._where}: short reply to {table} {address}+{count}")
        return [int(v) for v in values[:count]]

    async def write(self, table: Table, address: int, values: Sequence[int]) -> None:
        client = await self._ready()
        what = f"write {table} {address}+{len(values)}"
        if table is Table.COIL:
            bits = [bool(v) for v in values]
            await self._exchange(
                lambda: client.write_coils(address, bits, device_id=self.unit), what)
        elif table is Table.HOLDING:
            regs = [int(v) for v in values]
            await self._exchange(
                lambda: client.write_registers(address, regs, device_id=self.unit), what)
        else:
            raise ValueError(f"{table} is read-only in Modbus")

    @property
    def _where(self) -> str:
        return f"{self._name} at {self.host}:{self.port} unit {self.unit}"

    async def _ready(self) -> AsyncModbusTcpClient:
        if not self.connected:
            await self.connect()
        assert self._client is not None
        return self._client

    async def _exchange(self, request: Callable[[], Awaitable[Any]], what: str) -> Any:
        # pymodbus bounds each try by `timeout`; the outer bound is ours, in case it doesn't.
        # `request` is called inside the try: pymodbus raises synchronously when disconnected.
        try:
            rsp = await asyncio.wait_for(request(), self.timeout_s * 2)
        except (asyncio.TimeoutError, OSError, ModbusException) as exc:
            self.close()  # the stream may hold a late reply; start clean next time
            raise self._error(f"{self._where}: {what} failed: {exc!r}") from exc
        if rsp.isError():
            raise self._error(f"{self._where}: {what} refused: {rsp}")
        return rsp
