"""A real pymodbus TCP server whose datastore is built from a `DeviceMap`.

Used by the device simulators. The simulator owns the device logic; this class owns the
socket, the datastore and the translation between our tables and pymodbus' function codes.
Written against pymodbus 3.16's SimDevice/SimData datastore (the older ModbusDeviceContext
is deprecated there).
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from hardware.modbus.registers import DeviceMap, Table

# What a simulator hears about: a master wrote `values` to `table` starting at `address`.
WriteHook = Callable[[Table, int, list[int]], None]

_CLIENT_WRITE_FC = {5: Table.COIL, 15: Table.COIL, 6: Table.HOLDING, 16: Table.HOLDING}
# The simulator's own datastore writes go through the *read* function code of each table,
# so the action below can tell them apart from writes a master sent.
_LOCAL_FC = {Table.COIL: 1, Table.DISCRETE_INPUT: 2, Table.HOLDING: 3, Table.INPUT: 4}
_TABLE_ORDER = (Table.COIL, Table.DISCRETE_INPUT, Table.HOLDING, Table.INPUT)


@dataclass
class _Started:
    server: ModbusTcpServer
    port: int


class RegisterServer:
    """Serves one device map on one unit id over Modbus TCP."""

    def __init__(self, device_map: DeviceMap, *, host: str = "127.0.0.1", port: int = 0,
                 unit: int = 1, on_write: WriteHook | None = None) -> None:
        self.device_map = device_map
        self.host, self.unit = host, unit
        self._want_port = port
        self._on_write = on_write
        self._running: _Started | None = None

    @property
    def port(self) -> int:
        if self._running is None:
            raise RuntimeError("server not started")
        return self._running.port

    async def start(self) -> int:
        """Listen; port 0 lets the OS pick a free port. Returns the bound port."""
        if self._running is not None:
            return self._running.port
        server = ModbusTcpServer(self._build_device(), address=(self.host, self._want_port))
        await server.serve_forever(background=True)
        # pymodbus keeps the asyncio.Server as its transport once listening.
        sockets = getattr(server.transport, "sockets", None) or ()
        if not sockets:
            await server.shutdown()  # type: ignore[no-untyped-call]  # pymodbus lacks hints
            raise RuntimeError(f"{self.device_map.device} simulator did not bind")
        self._running = _Started(server, int(sockets[0].getsockname()[1]))
        return self._running.port

    async def stop(self) -> None:
        running, self._running = self._running, None
        if running is not None:
            await running.server.shutdown()  # type: ignore[no-untyped-call]
            await asyncio.sleep(0)  # let the transports run their close callbacks

    async def read(self, table: Table, address: int, count: int) -> list[int]:
        values = await self._server().async_getValues(self.unit, _LOCAL_FC[table], address, count)
        return [int(v) for v in values]

    async def write(self, table: Table, address: int, values: Sequence[int]) -> None:
        vals: list[int] | list[bool] = ([bool(v) for v in values] if table.is_bit
                                        else [int(v) for v in values])
        await self._server().async_setValues(self.unit, _LOCAL_FC[table], address, vals)

    def _server(self) -> ModbusTcpServer:
        if self._running is None:
            raise RuntimeError("server not started")
        return self._running.server

    def _build_device(self) -> SimDevice:
        blocks: list[list[SimData]] = []
        for table in _TABLE_ORDER:
            regs = self.device_map.in_table(table)
            if table.is_bit:
                block = [SimData(r.address, count=r.count, values=False, datatype=DataType.BITS)
                         for r in regs]
                # pymodbus needs every table non-empty; an unmapped table gets one
                # read-only bit, the nearest it has to "no such table".
                block = block or [SimData(0, values=False, datatype=DataType.BITS, readonly=True)]
            else:
                block = [SimData(r.address, count=r.count, values=0, datatype=DataType.REGISTERS)
                         for r in regs]
                block = block or [SimData(0, values=0, datatype=DataType.REGISTERS, readonly=True)]
            blocks.append(block)
        return SimDevice(self.unit, simdata=(blocks[0], blocks[1], blocks[2], blocks[3]),
                         action=self._action)

    async def _action(self, func_code: int, _start: int, address: int, _count: int,
                      _registers: list[int], values: list[int] | list[bool] | None
                      ) -> ExcCodes | None:
        # Called by pymodbus after the address check, before the datastore is updated.
        table = _CLIENT_WRITE_FC.get(func_code)
        if table is not None and values and self._on_write is not None:
            self._on_write(table, address, [int(v) for v in values])
        return None

