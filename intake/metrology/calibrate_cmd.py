"""The body of `intake scale calibrate`: read each point from the transmitter, fit, show, and
only on an explicit accept record it, raise the calibration counter and replace the file."""
from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import typer
from rich.table import Table

from hardware.modbus.loadcell import LoadCellClient, LoadCellError
from hardware.scale.calibration import CalibrationResult, CalPoint, Limits, fit_points
from hardware.scale.verification import StepKind, TestStep, is_decade_value
from intake.metrology.calibrate_flow import PointRules, read_point
from intake.cli.output import FAILED, err, exit_with, line, note
from intake.metrology.commands import decimal_arg, emit, fail, prompter


@dataclass(frozen=True)
class CalibrateArgs:
    host: str
    port: int
    unit: int
    max_kg: Decimal
    e: Decimal
    loads: list[Decimal]
    scripted: bool
    rules: PointRules
    limits: Limits
    file: Path
    technician: str | None

    @property
    def transmitter(self) -> str:
        return f"modbus://{self.host}:{self.port}/{self.unit}"


PASSWORD_ENV = "INTAKE_PASSWORD"


def admin_user(engine, username: str) -> str:
    """W13: calibration is a sealable change, for admin accounts only. The password comes from
    $INTAKE_PASSWORD (scripts) or a hidden prompt, never from the command line (ps shows it).
    Checked before anything is measured; returns the account name recorded as the technician."""
    import os

    from intake.auth.users import Users

    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        password = str(typer.prompt(f"password for {username}", hide_input=True, err=True))
    user = Users(engine).authenticate(username, password)
    if user is None:
        fail(f"refused: wrong user name or password for {username!r} (or the account is disabled)", 1)
    if user.role != "admin":
        fail(f"refused: {user.username} is a {user.role}; calibration needs an admin account", 1)
    return user.username


def parse_endpoint(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        fail(f"--modbus must be HOST:PORT, not {text!r}", 2)
    return host, int(port)


def calibration_loads(max_kg: Decimal, e: Decimal, loads: str | None, script: Path | None) -> list[Decimal]:
    """The known loads, zero first: from --loads or a script file (one load per line)."""
    if not is_decade_value(e) or max_kg <= 0 or max_kg % e != 0:
        fail(f"Max {max_kg} / e {e}: e must be 1, 2 or 5 x 10^k and divide Max", 2)
    if script is not None:
        if not script.is_file():
            fail(f"no such file: {script}", 2)
        lines = [line.split("#", 1)[0].strip() for line in script.read_text(encoding="utf-8").splitlines()]
        parts = [p for p in lines if p]
    else:
        parts = [p.strip() for p in (loads or "").split(",") if p.strip()]
    values = [decimal_arg("load", p, positive=False) for p in parts]
    if len(values) < 2 or 0 not in values:
        fail("a calibration needs the zero point (0) and at least one span load", 2)
    if any(v < 0 or v > max_kg for v in values) or len(set(values)) != len(values):
        fail(f"loads must be distinct and within 0..Max ({max_kg})", 2)
    return sorted(values)


async def collect(args: CalibrateArgs) -> list[CalPoint]:
    client = LoadCellClient(args.host, args.port, args.unit, timeout=2.0)
    prompt = prompter(not args.scripted)
    points: list[CalPoint] = []
    previous: float | None = None
    try:
        await client.connect()
        for number, load in enumerate(args.loads, 1):
            kind: StepKind = "zero" if load == 0 else "rising"
            await asyncio.to_thread(prompt, number, len(args.loads), TestStep(kind, load))
            point = await read_point(client, float(load), args.rules,
                                     None if not args.scripted else previous)
            if point is None:
                fail(f"no steady counts at {load} kg within {args.rules.timeout:g} s", 1)
            points.append(point)
            previous = point.counts
            if point.saturated:
                break  # nothing further can be trusted; the fit reports it
    except LoadCellError as exc:
        fail(str(exc), 1)
    finally:
        client.close()
    return points


def show(result: CalibrationResult, e: Decimal) -> None:
    table = Table("load kg", "counts", "spread", "residual kg", "residual e", title="calibration points")
    residuals = result.fit.residuals_kg if result.fit else (None,) * len(result.points)
    for p, r in zip(result.points, residuals):
        table.add_row(f"{p.load_kg:g}", f"{p.counts:.1f}", f"{p.spread:g}",
                      "-" if r is None else f"{r:+.3f}", "-" if r is None else f"{r / float(e):+.3f}")
    err.print(table)
    if result.fit:
        err.print(f"gain {result.fit.gain_kg_per_count:.9g} kg/count, zero {result.fit.zero_counts:.1f} "
                  f"counts, {result.fit.counts_per_e:.1f} counts per e, worst residual "
                  f"{result.fit.worst_residual_e:.3f} e")
    for problem in result.problems:
        err.print(f"[red]refused: {problem}[/red]")


def summary(result: CalibrationResult) -> dict:
    fit = result.fit
    return {"ok": result.ok, "problems": list(result.problems),
            "points": [{"load_kg": p.load_kg, "counts": p.counts, "spread": p.spread,
                        "saturated": p.saturated} for p in result.points],
            "gain_kg_per_count": fit.gain_kg_per_count if fit else None,
            "zero_counts": fit.zero_counts if fit else None,
            "worst_residual_e": fit.worst_residual_e if fit else None,
            "counts_per_e": fit.counts_per_e if fit else None}


def run_calibrate(args: CalibrateArgs, engine, accept: bool, json_out: bool) -> None:
    from intake.metrology.calfile import CalibrationFileError
    from intake.metrology.records import accept_calibration

    points = asyncio.run(collect(args))
    result = fit_points(points, float(args.e), float(args.max_kg), args.limits)
    show(result, args.e)
    out = summary(result)
    if not result.ok:
        out["accepted"] = False
        if json_out:
            emit(out)
        exit_with(FAILED)
    if not accept and not args.scripted:
        note("accept this calibration? type yes to accept:")
        accept = sys.stdin.readline().strip().lower() in ("y", "yes")
    out["accepted"] = accept
    if accept:
        at = datetime.now(timezone.utc).isoformat()
        try:
            done = accept_calibration(engine, args.file, result, transmitter=args.transmitter,
                                      max_kg=args.max_kg, e=args.e, at=at, technician=args.technician)
        except CalibrationFileError as exc:
            fail(f"{exc} (the record and counter were committed; the previous file is still in force)", 1)
        out.update(file=str(done.path), backup=None if done.backup is None else str(done.backup),
                   calibration_counter=done.counter,
                   record=None if done.record is None else done.record.id,
                   unchanged=done.record is None)
    if json_out:
        emit(out)
    else:
        line("accepted: calibration counter %03d, file %s" % (out["calibration_counter"], args.file)
             if accept else "not accepted: nothing saved")
