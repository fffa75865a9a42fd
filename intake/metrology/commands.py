"""The bodies of `intake scale verify` and `intake scale calibrate` (the Typer wrappers live in
intake/cli/scale.py). Exit codes: 0 ok, 2 bad usage or input, 1 failure (the scale fails
verification, a device does not answer, a calibration is refused)."""
from __future__ import annotations

import queue
import sys
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable

from rich.table import Table

from hardware.scale.verification import (
    AccuracyClass, StepResult, TestStep, build_plan, default_loads, parse_plan, plain,
    scale_problems, verdict,
)
# The CLI contract's helpers; calibrate_cmd takes emit and fail from here too.
from intake.cli.output import emit, fail, finish, note, show


def decimal_arg(name: str, text: str, *, positive: bool = True) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        fail(f"{name}: not a number: {text!r}", 2)
    if not value.is_finite() or (positive and value <= 0):
        fail(f"{name} must be a number > 0, not {text!r}", 2)
    return value


def decimal_list(name: str, text: str) -> list[Decimal]:
    return [decimal_arg(name, part.strip(), positive=False) for part in text.split(",") if part.strip()]


def open_store(db: str | None, config: Path | None, key: str | None):
    """The site database with its audit key, opened before any technician effort is spent."""
    from intake.cli.db import audit_key, resolve
    from intake.store.db import StoreError, open_engine
    from intake.store.migrate import MigrationError

    url, cfg = resolve(db, config)
    secret = audit_key(key, cfg)
    try:
        return open_engine(url, secret)
    except (StoreError, MigrationError) as exc:
        fail(str(exc), 1)
    except Exception as exc:  # a URL SQLAlchemy cannot parse, a server that is not there
        fail(f"cannot open database {url}: {exc}", 2)


def prompter(confirmed: bool) -> Callable[[int, int, TestStep], None]:
    """Tell the technician what to place (stderr, so --json stdout stays clean); when
    ``confirmed``, wait for Enter."""
    def prompt(number: int, total: int, step: TestStep) -> None:
        action = "empty the deck" if step.kind == "zero" else "place the test load"
        note(f"step {number}/{total}: {step.label}: {action}: load {step.load} kg")
        if confirmed:
            note("  press Enter when it is in place")
            if sys.stdin.readline() == "":
                fail("no confirmation (stdin closed); give the plan with --script", 2)
    return prompt


def add_prompter() -> Callable[[TestStep, Decimal, Decimal], None]:
    """Change point: ask for one more small weight and wait for Enter (always: adding 0.1 e
    to a display rounded to e shows nothing, so only the technician knows it is on)."""
    def add(step: TestStep, small: Decimal, total: Decimal) -> None:
        note(f"change point {step.label} {plain(step.load)} kg: add {plain(small)} kg "
             f"(added {plain(total)} kg); press Enter when it is on")
        if sys.stdin.readline() == "":
            fail("no confirmation (stdin closed): the change-point method needs the technician", 2)
    return add


@dataclass(frozen=True)
class VerifyArgs:
    port: str
    protocol: str
    max_kg: Decimal
    e: Decimal
    cls: AccuracyClass
    in_service: bool
    plan: list[TestStep]
    scripted: bool
    indicator: str
    technician: str | None
    stable_time: float
    step_timeout: float
    reader_options: dict[str, Any]
    change_point: bool = False


def verify_plan(max_kg: Decimal, e: Decimal, cls: AccuracyClass, loads: str | None,
                script: Path | None, sections: int, ecc_load: str | None) -> list[TestStep]:
    problems = scale_problems(max_kg, e, cls)
    if problems:
        fail("; ".join(problems), 2)
    try:
        if script is not None:
            if not script.is_file():
                fail(f"no such file: {script}", 2)
            return parse_plan(script.read_text(encoding="utf-8"), max_kg)
        chosen = decimal_list("--loads", loads) if loads else default_loads(max_kg, e, cls)
        ecc = decimal_arg("--ecc-load", ecc_load) if ecc_load else None
        return build_plan(max_kg, e, [x for x in chosen if x != 0], sections=sections,
                          eccentric_load=ecc)
    except ValueError as exc:
        fail(str(exc), 2)


def run_verify(args: VerifyArgs, engine, json_out: bool, plot: Path | None) -> None:
    from hardware.scale.reader import ScaleReader
    from intake.metrology.records import record_verification
    from intake.metrology.verify_flow import frame_sink, run_plan

    frames: queue.Queue = queue.Queue(maxsize=4096)
    try:
        reader = ScaleReader(args.port, args.protocol, on_frame=frame_sink(frames), **args.reader_options)
    except ValueError as exc:
        fail(str(exc), 2)

    def report(result: StepResult) -> None:
        if json_out:
            emit({"step": result.to_json()})
        else:
            mark = "ok" if result.passed else "FAIL"
            note(f"  {result.step.label} {result.step.load} kg -> {result.indication} kg "
                 f"(error {result.error}, MPE ±{result.mpe}) {mark} {result.note}")

    reader.start()
    try:
        results = run_plan(frames, args.plan, args.e, args.cls, in_service=args.in_service,
                           prompt=prompter(not args.scripted), report=report,
                           confirmed=not args.scripted, stable_time=args.stable_time,
                           step_timeout=args.step_timeout,
                           change_point=add_prompter() if args.change_point else None)
    finally:
        reader.stop()
    summary = verdict(results)
    record = record_verification(engine, indicator=args.indicator, protocol=args.protocol,
                                 max_kg=args.max_kg, e=args.e, cls=args.cls,
                                 in_service=args.in_service, passed=summary.passed,
                                 results=results, technician=args.technician)
    if plot is not None:
        from intake.metrology.plot import plot_errors

        plot_errors(results, args.max_kg, args.e, args.cls, args.in_service, plot,
                    f"{args.indicator}  Max {args.max_kg} kg  e {args.e} kg  class {args.cls.value}"
                    f"  {'PASS' if summary.passed else 'FAIL'}")
    out = {"passed": summary.passed, "failed_steps": summary.failed_steps,
           "worst_error_over_mpe": None if summary.worst_ratio is None else str(summary.worst_ratio),
           "record": record.id, "indicator": args.indicator, "max_kg": str(args.max_kg),
           "e_kg": str(args.e), "class": args.cls.value, "in_service": args.in_service,
           "cal_counter": record.cal_counter, "cfg_counter": record.cfg_counter,
           "plot": None if plot is None else str(plot)}
    if json_out:
        emit(out)
    else:
        show(verify_table(results, out))
    finish(summary.passed)


def verify_table(results: list[StepResult], out: dict[str, Any]) -> Table:
    verdict_text = "[green]PASS[/green]" if out["passed"] else "[red]FAIL[/red]"
    table = Table("step", "load kg", "indication kg", "error kg", "MPE kg", "result",
                  title=f"{out['indicator']}  Max {out['max_kg']} kg  e {out['e_kg']} kg  "
                        f"class {out['class']}: {verdict_text}  (record {out['record']})")
    for r in results:
        table.add_row(r.step.label, plain(r.step.load), "-" if r.indication is None else plain(r.indication),
                      "-" if r.error is None else plain(r.error), f"±{plain(r.mpe)}",
                      ("ok" if r.passed else "[red]FAIL[/red]") + (f" {r.note}" if r.note else ""))
    return table
