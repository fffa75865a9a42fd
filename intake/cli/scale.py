"""`intake scale ...`: decode captures, read, detect and monitor live indicators
(DESIGN.md CLI contract).

Exit codes: 0 success, 2 bad usage or input (unknown protocol, missing file, bad option),
1 failure (live read timed out, nothing detected).
"""
from __future__ import annotations

import json
import queue
import time
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, BinaryIO, Iterator, Optional

import typer
from rich.table import Table

from hardware.scale.codecs import CODECS, Decoder, UnknownProtocol, get_decoder
from hardware.scale.frame import FrameError, WeightFrame
from hardware.scale.reader import ScaleReader
from intake.cli.output import FAILED, emit, fail, line, note, out, show

app = typer.Typer(help="Weighbridge indicators: decode captures, read live frames.",
                  no_args_is_help=True)

Item = WeightFrame | FrameError
_CHUNK = 65536
_UNITS = ("kg", "t", "lb", "g")


class Parity(str, Enum):
    N = "N"
    E = "E"
    O = "O"  # noqa: E741 - the conventional letter for odd parity


def _decoder_options(protocol: str, unit: str | None, no_checksum: bool, *,
                     confirm: int = 1, command: bool = False) -> dict[str, Any]:
    """Options for get_decoder, validated now so a bad one is exit 2, not a traceback."""
    if unit is not None and unit not in _UNITS:
        fail(f"unit must be one of {', '.join(_UNITS)}, not {unit!r}")
    options: dict[str, Any] = {}
    if unit is not None:
        options["unit"] = unit
    if no_checksum:
        options["checksum"] = False
    if confirm > 1:
        options["confirm"] = confirm
    if command:
        codec = CODECS.get(protocol)
        if codec is None or not codec.command_options:
            fail(f"protocol {protocol!r} has no command (polled) mode")
        options.update(codec.command_options)
    try:
        get_decoder(protocol, **options)
    except UnknownProtocol as exc:
        fail(str(exc))
    except (TypeError, ValueError) as exc:
        fail(f"protocol {protocol!r} does not take these options: {exc}")
    return options


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(_CHUNK):
        yield chunk


def _decode_stream(decoder: Decoder, stream: BinaryIO) -> Iterator[Item]:
    for chunk in _chunks(stream):
        yield from decoder.feed(chunk)
    yield from decoder.flush()


def _fmt(value: object) -> str:
    return "-" if value is None else str(value)


def _human_line(item: Item) -> str:
    if isinstance(item, FrameError):
        return f"ERROR  {item.error}"
    flags = [name for name in ("overload", "underload", "power_up") if getattr(item, name)]
    motion = {True: "stable", False: "MOTION", None: "-"}[item.stable]
    return (f"{item.weight} {item.unit}  {motion}  {'net' if item.net else 'gross'}  "
            f"tare {_fmt(item.tare)}  {' '.join(flags)}").rstrip()


def _table(items: list[Item]) -> Table:
    table = Table("#", "weight", "unit", "stable", "net", "tare", "status")
    for n, item in enumerate(items, 1):
        if isinstance(item, FrameError):
            table.add_row(str(n), "", "", "", "", "", f"[red]error: {item.error}[/red]")
            continue
        flags = [k for k in ("overload", "underload", "power_up") if getattr(item, k)]
        table.add_row(str(n), str(item.weight), item.unit, _fmt(item.stable), str(item.net),
                      _fmt(item.tare), " ".join(flags) or "ok")
    return table


ProtocolOpt = Annotated[str, typer.Option("--protocol", "-p",
                                          help=f"One of: {', '.join(CODECS)}.")]
UnitOpt = Annotated[Optional[str], typer.Option(
    help="Unit for frames that carry none; overrides the frame's unit for Toledo clones.")]
JsonOpt = Annotated[bool, typer.Option("--json/--no-json", help="One JSON object per line.")]
NoChecksumOpt = Annotated[bool, typer.Option(
    "--no-checksum", help="Frames without a checksum byte (Toledo 17/11-byte formats).")]
ConfirmOpt = Annotated[int, typer.Option(
    min=1, max=50, help="Pass a frame on only after N identical ones (protocols without a "
    "checksum: use 2 or more on a live line).")]
CommandOpt = Annotated[bool, typer.Option(
    "--command", help="Poll the indicator (Yaohua/Keli command mode, SMA W); sics always polls.")]
PollOpt = Annotated[float, typer.Option(min=0.01, help="Seconds between polls (command mode).")]


@app.command()
def decode(
    protocol: ProtocolOpt,
    source: Annotated[str, typer.Argument(help="Capture file, or - for stdin.")] = "-",
    unit: UnitOpt = None,
    json_out: JsonOpt = False,
    no_checksum: NoChecksumOpt = False,
) -> None:
    """Raw bytes -> one decoded frame (or refused frame) per line."""
    decoder = get_decoder(protocol, **_decoder_options(protocol, unit, no_checksum))
    if source == "-":
        items = list(_decode_stream(decoder, typer.get_binary_stream("stdin")))
    else:
        path = Path(source)
        if not path.is_file():
            fail(f"no such file: {source}")
        with path.open("rb") as stream:
            items = list(_decode_stream(decoder, stream))
    if json_out:
        for item in items:
            emit(item.to_json())
    else:
        show(_table(items))
    note(f"skipped {decoder.skipped_bytes} bytes")


@app.command()
def read(
    port: Annotated[str, typer.Option(help="pyserial URL: /dev/ttyUSB0, socket://h:p, ...")],
    protocol: ProtocolOpt,
    unit: UnitOpt = None,
    baud: Annotated[int, typer.Option(min=50)] = 9600,
    bytesize: Annotated[int, typer.Option(min=7, max=8)] = 8,
    parity: Annotated[Parity, typer.Option(case_sensitive=False)] = Parity.N,
    count: Annotated[Optional[int], typer.Option(min=1, help="Stop after N frames.")] = None,
    timeout: Annotated[Optional[float], typer.Option(
        min=0.0, help="Fail (exit 1) if --count frames have not arrived in this many s.")] = None,
    json_out: JsonOpt = False,
    no_checksum: NoChecksumOpt = False,
    confirm: ConfirmOpt = 1,
    command: CommandOpt = False,
    poll: PollOpt = 0.2,
) -> None:
    """Read live frames from an indicator until --count frames, --timeout or Ctrl-C."""
    options = _decoder_options(protocol, unit, no_checksum, confirm=confirm, command=command)
    items: queue.Queue[Item] = queue.Queue(maxsize=1024)  # bounded: a slow terminal drops

    def on_frame(item: Item) -> None:
        try:
            items.put_nowait(item)
        except queue.Full:
            pass

    try:
        reader = ScaleReader(port, protocol, protocol_options=options, baudrate=baud,
                             bytesize=bytesize, parity=parity.value, on_frame=on_frame,
                             poll_period=poll)
    except ValueError as exc:
        fail(str(exc))
    reader.start()
    try:
        got = _print_live(items, count, timeout, json_out)
    except KeyboardInterrupt:
        got = -1
    finally:
        reader.stop()
    stats = reader.stats()
    note(f"frames {stats.frames} errors {stats.errors} skipped {stats.skipped_bytes} "
         f"bytes, reconnects {stats.reconnects}")
    if count is not None and 0 <= got < count:
        fail(f"only {got} of {count} frames within {timeout} s", FAILED)


def _print_live(items: queue.Queue[Item], count: int | None, timeout: float | None,
                json_out: bool) -> int:
    """Print items as they come; return the number of good frames printed."""
    deadline = None if timeout is None else time.monotonic() + timeout
    got = 0
    while count is None or got < count:
        if deadline is not None and time.monotonic() >= deadline:
            break
        try:
            item = items.get(timeout=0.1)
        except queue.Empty:
            continue
        got += isinstance(item, WeightFrame)
        if json_out:
            emit(item.to_json())
        else:
            line(_human_line(item))
    return got


@app.command()
def detect(
    port: Annotated[str, typer.Option(help="pyserial URL of the indicator's port.")],
    budget: Annotated[float, typer.Option(min=1.0, max=60.0, help="Give up after s.")] = 9.0,
    json_out: JsonOpt = False,
) -> None:
    """Find the protocol and line settings by listening (and polling command protocols)."""
    from hardware.scale.detect import detect as run_detect

    try:
        found = run_detect(port, budget=budget)
    except (ValueError, OSError) as exc:  # SerialException is an OSError
        fail(f"cannot open {port}: {exc}", FAILED)
    result = {"protocol": found.protocol, "options": found.options, "baud": found.baud,
              "bytesize": found.bytesize, "parity": found.parity,
              "confidence": found.confidence, "frames": found.frames,
              "alternatives": [{"protocol": c.protocol, "confidence": c.confidence}
                               for c in found.alternatives],
              "tried": found.tried}
    if json_out:
        emit(result)
    else:
        table = Table("protocol", "options", "line", "confidence", "frames", "alternatives")
        settings = f"{found.baud} {found.bytesize}{found.parity}1" if found.baud else "-"
        table.add_row(_fmt(found.protocol), json.dumps(found.options), settings,
                      f"{found.confidence:.0%}", str(found.frames),
                      ", ".join(f"{c.protocol} {c.confidence:.0%}" for c in found.alternatives))
        show(table)
    if found.protocol is None:
        fail(f"no protocol decoded on {port} (tried {len(found.tried)} settings)", FAILED)


@app.command()
def monitor(
    port: Annotated[str, typer.Option(help="pyserial URL: /dev/ttyUSB0, socket://h:p, ...")],
    protocol: ProtocolOpt,
    unit: UnitOpt = None,
    baud: Annotated[int, typer.Option(min=50)] = 9600,
    bytesize: Annotated[int, typer.Option(min=7, max=8)] = 8,
    parity: Annotated[Parity, typer.Option(case_sensitive=False)] = Parity.N,
    duration: Annotated[Optional[float], typer.Option(
        min=0.0, help="Stop after this many seconds (default: until Ctrl-C).")] = None,
    refresh: Annotated[float, typer.Option(min=0.05, help="Seconds between redraws.")] = 0.25,
    no_checksum: NoChecksumOpt = False,
    confirm: ConfirmOpt = 1,
    command: CommandOpt = False,
    poll: PollOpt = 0.2,
) -> None:
    """Live view: weight, stable flag, frames/s, rejected-frame rate, last raw bytes."""
    from rich.live import Live

    from hardware.scale.monitor import MonitorState

    options = _decoder_options(protocol, unit, no_checksum, confirm=confirm, command=command)
    state = MonitorState()
    try:
        reader = ScaleReader(port, protocol, protocol_options=options, baudrate=baud,
                             bytesize=bytesize, parity=parity.value, on_frame=state.add,
                             poll_period=poll)
    except ValueError as exc:
        fail(str(exc))
    end = None if duration is None else time.monotonic() + duration
    reader.start()
    try:
        with Live(_monitor_table(state, reader, port, protocol), console=out,
                  auto_refresh=False) as live:
            while end is None or time.monotonic() < end:
                time.sleep(refresh if end is None else max(0.0, min(refresh, end - time.monotonic())))
                live.update(_monitor_table(state, reader, port, protocol), refresh=True)
    except KeyboardInterrupt:
        pass
    finally:
        reader.stop()


def _monitor_table(state: Any, reader: ScaleReader, port: str, protocol: str) -> Table:
    snap = state.snapshot(reader.raw_tail())
    reading = reader.latest()
    stats = reader.stats()
    frame = reading.frame
    table = Table(title=f"{port}  {protocol}", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    weight = "UNKNOWN" if frame is None else f"{frame.weight} {frame.unit}"
    if frame is not None and not frame.usable:
        weight += "  [red]not usable (over/underload, power-up)[/red]"
    table.add_row("weight", weight)
    table.add_row("stable", "-" if frame is None else _fmt(frame.stable))
    table.add_row("frames/s", f"{snap.rate:.1f}")
    table.add_row("rejected", f"{snap.rejected_rate:.1%} of frames"
                  f"  (errors {stats.errors}, skipped bytes {stats.skipped_bytes})")
    table.add_row("link", f"{'connected' if stats.connected else 'DOWN'}, "
                  f"reconnects {stats.reconnects}, polls {stats.polls}")
    if snap.last_error:
        table.add_row("last error", snap.last_error)
    for raw in snap.raw:
        table.add_row("raw", raw)
    return table


# ---- verification and calibration (intake/metrology) -------------------------------------

class ClassOpt(str, Enum):
    I = "I"  # noqa: E741 - the accuracy class's official name
    II = "II"
    III = "III"
    IIII = "IIII"


_DB = typer.Option(None, "--db", help="SQLAlchemy URL (default: the config's site.database).")
_CONFIG = typer.Option(None, "--config", help="Site configuration (default: the demo's).")
_KEY = typer.Option(None, "--key", help="Audit key source env:NAME or file:PATH (default: the config's).")


@app.command()
def verify(
    port: Annotated[str, typer.Option(help="pyserial URL of the indicator's port.")],
    protocol: ProtocolOpt,
    max_kg: Annotated[str, typer.Option("--max", help="Max capacity, kg.")],
    e: Annotated[str, typer.Option("--e", help="Verification scale interval e, kg.")],
    accuracy: Annotated[ClassOpt, typer.Option("--class", help="Accuracy class (OIML R 76).")] = ClassOpt.III,
    loads: Annotated[Optional[str], typer.Option(help="Rising test loads, kg, comma separated "
                                                 "(default: 20e, 500e, 2000e, Max/2, Max).")] = None,
    script: Annotated[Optional[Path], typer.Option(help="Plan file, one 'KIND LOAD [SECTION]' per "
                                                   "line; runs without Enter prompts.")] = None,
    sections: Annotated[int, typer.Option(min=0, max=16, help="Eccentric test sections.")] = 4,
    ecc_load: Annotated[Optional[str], typer.Option(help="Eccentric load, kg (default Max/3).")] = None,
    in_service: Annotated[bool, typer.Option("--in-service", help="In-service MPE (2x).")] = False,
    change_point: Annotated[bool, typer.Option("--change-point", help="Judge each step on its error "
                                               "before rounding: add 0.1 e weights until the display "
                                               "steps up (R 76 change-point method).")] = False,
    indicator: Annotated[Optional[str], typer.Option(help="Indicator identity (default: protocol@port).")] = None,
    technician: Annotated[Optional[str], typer.Option(help="Who ran the test.")] = None,
    stable_time: Annotated[float, typer.Option(min=0.4, help="Seconds a reading must hold (W2: >= 0.4).")] = 0.5,
    step_timeout: Annotated[float, typer.Option(min=1.0, help="Seconds to wait per step.")] = 120.0,
    plot: Annotated[Optional[Path], typer.Option(help="Write a PNG of error vs load with the MPE envelope.")] = None,
    baud: Annotated[int, typer.Option(min=50)] = 9600,
    bytesize: Annotated[int, typer.Option(min=7, max=8)] = 8,
    parity: Annotated[Parity, typer.Option(case_sensitive=False)] = Parity.N,
    unit: UnitOpt = None,
    no_checksum: NoChecksumOpt = False,
    confirm: ConfirmOpt = 1,
    command: CommandOpt = False,
    poll: PollOpt = 0.2,
    json_out: JsonOpt = False,
    db: Optional[str] = _DB, config: Optional[Path] = _CONFIG, key: Optional[str] = _KEY,
) -> None:
    """Check the scale against certified test weights (zero, rising, falling, eccentric) and
    record the result. Exit 1 when any step is outside its MPE."""
    from hardware.scale.verification import AccuracyClass
    from intake.metrology.commands import VerifyArgs, decimal_arg, open_store, run_verify, verify_plan

    max_d, e_d = decimal_arg("--max", max_kg), decimal_arg("--e", e)
    cls = AccuracyClass(accuracy.value)
    plan = verify_plan(max_d, e_d, cls, loads, script, sections, ecc_load)
    options = _decoder_options(protocol, unit, no_checksum, confirm=confirm, command=command)
    engine = open_store(db, config, key)
    args = VerifyArgs(port, protocol, max_d, e_d, cls, in_service, plan, script is not None,
                      indicator or f"{protocol}@{port}", technician, stable_time, step_timeout,
                      dict(protocol_options=options, baudrate=baud, bytesize=bytesize,
                           parity=parity.value, poll_period=poll), change_point)
    run_verify(args, engine, json_out, plot)


@app.command()
def calibrate(
    modbus: Annotated[str, typer.Option(help="The load-cell transmitter, HOST:PORT (Modbus TCP).")],
    max_kg: Annotated[str, typer.Option("--max", help="Max capacity, kg.")],
    e: Annotated[str, typer.Option("--e", help="Verification scale interval e, kg.")],
    file: Annotated[Path, typer.Option(help="Calibration file to replace (previous kept as a backup).")],
    loads: Annotated[Optional[str], typer.Option(help="Known loads, kg, comma separated, with 0.")] = None,
    script: Annotated[Optional[Path], typer.Option(help="Loads file, one per line; no Enter prompts.")] = None,
    unit_id: Annotated[int, typer.Option("--unit-id", min=0, max=247)] = 1,
    samples: Annotated[int, typer.Option(min=2, max=1000, help="Conversions averaged per point.")] = 20,
    tolerance: Annotated[int, typer.Option(min=0, help="Max spread of the counts of a point.")] = 50,
    point_timeout: Annotated[float, typer.Option(min=1.0, help="Seconds to wait per point.")] = 120.0,
    max_residual_e: Annotated[float, typer.Option(min=0.0, help="Linearity limit, in e.")] = 0.5,
    min_counts_per_e: Annotated[float, typer.Option(min=0.0, help="Smallest acceptable span.")] = 2.0,
    user: Annotated[str, typer.Option("--user", help="Admin account that calibrates; password from "
                                      "$INTAKE_PASSWORD or asked (hidden).")] = "",
    accept: Annotated[bool, typer.Option("--accept", help="Accept without asking (a printed plan).")] = False,
    json_out: JsonOpt = False,
    db: Optional[str] = _DB, config: Optional[Path] = _CONFIG, key: Optional[str] = _KEY,
) -> None:
    """Multi-point calibration of a raw load-cell transmitter over Modbus: zero, span and a
    linearity check; saved atomically and counted on the calibration event counter. Admin
    accounts only (--user); the account is recorded as the technician."""
    from hardware.scale.calibration import Limits
    from intake.metrology.calibrate_cmd import (
        CalibrateArgs, admin_user, calibration_loads, parse_endpoint, run_calibrate,
    )
    from intake.metrology.calibrate_flow import PointRules
    from intake.metrology.commands import decimal_arg, open_store

    if not user:
        fail("--user NAME is required: calibration is for admin accounts (W13)", 2)
    max_d, e_d = decimal_arg("--max", max_kg), decimal_arg("--e", e)
    host, port = parse_endpoint(modbus)
    values = calibration_loads(max_d, e_d, loads, script)
    engine = open_store(db, config, key)
    technician = admin_user(engine, user)  # before any load is placed
    args = CalibrateArgs(host, port, unit_id, max_d, e_d, values, script is not None,
                         PointRules(samples, tolerance, point_timeout),
                         Limits(min_counts_per_e, max_residual_e), file, technician)
    run_calibrate(args, engine, accept, json_out)
