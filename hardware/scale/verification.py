"""Verification of a non-automatic weighing instrument against test loads: pure maths.

Maximum permissible errors follow OIML R 76-1 Table 6 (reference reliability-and-security.md
§3, tagged [R]: check the clause against the official text before citing it in a contract).
For class III: ±0.5 e up to 500 e, ±1 e up to 2000 e, ±1.5 e above; in service the MPE is
twice that on verification. Loads and indications are Decimal kilograms, never floats, so a
boundary load (exactly 500 e) falls on the side the standard says it does.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import ClassVar, Literal

StepKind = Literal["zero", "rising", "falling", "eccentric"]
STEP_KINDS: tuple[StepKind, ...] = ("zero", "rising", "falling", "eccentric")
HALF = Decimal("0.5")
# W4: the zero indication must be within ±0.25 e (centre of zero / zero-setting accuracy).
ZERO_MPE_E = Decimal("0.25")


class AccuracyClass(str, enum.Enum):
    I = "I"  # noqa: E741 - the class's official name
    II = "II"
    III = "III"
    IIII = "IIII"


# Upper bounds of the 0.5 e and 1 e bands, in divisions e (R 76-1 Table 6). Above the second
# bound the MPE is 1.5 e.
_BANDS: dict[AccuracyClass, tuple[int, int]] = {
    AccuracyClass.I: (50_000, 200_000),
    AccuracyClass.II: (5_000, 20_000),
    AccuracyClass.III: (500, 2_000),
    AccuracyClass.IIII: (50, 200),
}
# Number of divisions n = Max/e allowed per class (R 76-1 Table 3, for e >= 5 g in III).
_N_RANGE: dict[AccuracyClass, tuple[int, int | None]] = {
    AccuracyClass.I: (50_000, None),
    AccuracyClass.II: (5_000, 100_000),
    AccuracyClass.III: (500, 10_000),
    AccuracyClass.IIII: (50, 1_000),
}


def mpe_e(load_in_e: Decimal, cls: AccuracyClass = AccuracyClass.III, *,
          in_service: bool = False) -> Decimal:
    """MPE in divisions for a load given in divisions (m = load / e)."""
    if load_in_e < 0:
        raise ValueError("a test load cannot be negative")
    first, second = _BANDS[cls]
    if load_in_e <= first:
        base = HALF
    elif load_in_e <= second:
        base = Decimal(1)
    else:
        base = Decimal("1.5")
    return base * 2 if in_service else base


def mpe_kg(load: Decimal, e: Decimal, cls: AccuracyClass = AccuracyClass.III, *,
           in_service: bool = False) -> Decimal:
    """MPE in kg for a load in kg on a scale with verification division ``e`` kg."""
    if e <= 0:
        raise ValueError("e must be > 0")
    return mpe_e(load / e, cls, in_service=in_service) * e


def is_decade_value(e: Decimal) -> bool:
    """R 76-1 3.1.2: e is 1, 2 or 5 times a power of ten."""
    if e <= 0:
        return False
    digits = e.normalize().as_tuple().digits
    return len(digits) == 1 and digits[0] in (1, 2, 5)


def scale_problems(max_kg: Decimal, e: Decimal, cls: AccuracyClass = AccuracyClass.III) -> list[str]:
    """Why (Max, e) cannot be a verified scale of this class; empty when it can."""
    if e <= 0 or max_kg <= 0:
        return ["Max and e must be > 0"]
    problems = []
    if not is_decade_value(e):
        problems.append(f"e = {e} kg is not 1, 2 or 5 x 10^k")
    n = max_kg / e
    if n != n.to_integral_value():
        problems.append(f"Max {max_kg} is not a whole number of divisions e = {e}")
    low, high = _N_RANGE[cls]
    if n < low or (high is not None and n > high):
        upper = "" if high is None else f"..{high}"
        problems.append(f"n = Max/e = {n.normalize()} is outside {low}{upper} for class {cls.value}")
    return problems


@dataclass(frozen=True)
class TestStep:
    """One applied test load. ``section`` numbers the deck section for eccentric loads."""
    __test__: ClassVar[bool] = False  # a domain class, not a pytest test class
    kind: StepKind
    load: Decimal
    section: int | None = None

    @property
    def label(self) -> str:
        return f"{self.kind} {self.section}" if self.section is not None else self.kind


@dataclass(frozen=True)
class StepResult:
    step: TestStep
    indication: Decimal | None       # None: no stable reading was obtained
    error: Decimal | None            # indication - load, kg (change point: corrected error Ec)
    mpe: Decimal                     # kg
    passed: bool
    note: str = ""
    added: Decimal | None = None     # change point: small weights added until I + e, kg

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": self.step.kind, "section": self.step.section, "load_kg": plain(self.step.load),
               "indication_kg": _s(self.indication), "error_kg": _s(self.error),
               "mpe_kg": plain(self.mpe), "passed": self.passed, "note": self.note}
        if self.added is not None:
            out["change_point_kg"] = plain(self.added)
        return out


def _s(value: Decimal | None) -> str | None:
    return None if value is None else plain(value)


def plain(value: Decimal) -> str:
    """Decimal text without exponent or trailing zeros: 10, 5, 0.5 (not 1E+1, 5.00)."""
    return f"{value.normalize():f}"


def step_mpe(step: TestStep, e: Decimal, cls: AccuracyClass, in_service: bool) -> Decimal:
    if step.kind == "zero":
        return ZERO_MPE_E * e
    return mpe_kg(step.load, e, cls, in_service=in_service)


def evaluate(step: TestStep, indication: Decimal | None, e: Decimal,
             cls: AccuracyClass = AccuracyClass.III, *, in_service: bool = False,
             note: str = "") -> StepResult:
    """Compare one stable indication with its applied load. No reading never passes."""
    mpe = step_mpe(step, e, cls, in_service)
    if indication is None:
        return StepResult(step, None, None, mpe, False, note or "no stable reading")
    error = indication - step.load
    return StepResult(step, indication, error, mpe, abs(error) <= mpe, note)


# Change-point method (OIML R 76-1 Annex A, "evaluation of error before rounding" [R]: from
# memory of the standard, the reference files do not describe it). On a scale whose display is
# rounded to e, the rounding alone (±0.5 e) is as large as the smallest MPE; so at a load L
# showing I, small weights of 0.1 e are added one by one until the display steps up to I + e.
# With ΔL added: the indication before rounding P = I + e/2 - ΔL, the error E = P - L, and the
# corrected error Ec = E - E0, E0 being the same error found at (or near) zero.
CHANGE_POINT_FRACTION = Decimal("0.1")
CHANGE_POINT_MAX_STEPS = 10  # by 1 e added the display must have stepped up


def change_point_error(indication: Decimal, load: Decimal, added: Decimal, e: Decimal) -> Decimal:
    """E = I + e/2 - ΔL - L (kg)."""
    if not 0 < added <= e:
        raise ValueError(f"the added load must be in (0, e], not {added}")
    return indication + e / 2 - added - load


def evaluate_change_point(step: TestStep, indication: Decimal, added: Decimal, e: Decimal,
                          cls: AccuracyClass = AccuracyClass.III, *, in_service: bool = False,
                          zero_error: Decimal | None = None) -> StepResult:
    """One step judged on its error before rounding. A zero step's error is E0 itself (within
    ±0.25 e); a load step's is corrected by ``zero_error`` (E0) when one is known."""
    mpe = step_mpe(step, e, cls, in_service)
    error = change_point_error(indication, step.load, added, e)
    note = f"change point: +{plain(added)} kg, E {plain(error)} kg"
    if step.kind != "zero":
        if zero_error is None:
            note += ", no E0: uncorrected"
        else:
            error -= zero_error
            note += f", E0 {plain(zero_error)} kg"
    return StepResult(step, indication, error, mpe, abs(error) <= mpe, note, added)


def round_to_e(value: Decimal, e: Decimal) -> Decimal:
    """``value`` rounded to a whole number of divisions (a test load a scale can show)."""
    return (value / e).quantize(Decimal(1), rounding=ROUND_HALF_EVEN) * e


def default_loads(max_kg: Decimal, e: Decimal, cls: AccuracyClass = AccuracyClass.III) -> list[Decimal]:
    """Rising loads that probe each MPE band change: Min (20 e), the band bounds, Max/2, Max."""
    first, second = _BANDS[cls]
    wanted = [20 * e, first * e, second * e, max_kg / 2, max_kg]
    loads = sorted({round_to_e(v, e) for v in wanted if 0 < v <= max_kg})
    return loads


def build_plan(max_kg: Decimal, e: Decimal, loads: list[Decimal], *, sections: int = 4,
               eccentric_load: Decimal | None = None) -> list[TestStep]:
    """Zero, the loads rising, the same loads falling back, zero, then one eccentric load per
    deck section (R 76-1 3.6.2: about Max/3 for four sections; more sections, less load)."""
    if any(load <= 0 or load > max_kg for load in loads):
        raise ValueError(f"test loads must be in (0, Max = {max_kg}]")
    rising = sorted(set(loads))
    plan = [TestStep("zero", Decimal(0))]
    plan += [TestStep("rising", load) for load in rising]
    plan += [TestStep("falling", load) for load in reversed(rising[:-1])]
    plan.append(TestStep("zero", Decimal(0)))
    if sections > 0:
        ecc = eccentric_load if eccentric_load is not None else round_to_e(
            max_kg / (3 if sections <= 4 else sections - 1), e)
        if not 0 < ecc <= max_kg:
            raise ValueError(f"eccentric load {ecc} outside (0, Max]")
        plan += [TestStep("eccentric", ecc, n) for n in range(1, sections + 1)]
    return plan


def parse_plan(text: str, max_kg: Decimal) -> list[TestStep]:
    """A printed plan: one step per line, ``KIND LOAD_KG [SECTION]``; ``#`` starts a comment."""
    plan = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if parts[0] not in STEP_KINDS or len(parts) not in (2, 3):
            raise ValueError(f"line {number}: expected KIND LOAD [SECTION], KIND one of "
                             f"{', '.join(STEP_KINDS)}: {raw.strip()!r}")
        try:
            load = Decimal(parts[1])
            section = int(parts[2]) if len(parts) == 3 else None
        except (ArithmeticError, ValueError):
            raise ValueError(f"line {number}: bad number in {raw.strip()!r}") from None
        if not load.is_finite() or load < 0 or load > max_kg:
            raise ValueError(f"line {number}: load {parts[1]} outside 0..Max ({max_kg})")
        if parts[0] == "zero" and load != 0:
            raise ValueError(f"line {number}: a zero step has load 0")
        plan.append(TestStep(parts[0], load, section))  # type: ignore[arg-type]
    if not plan:
        raise ValueError("the plan has no steps")
    return plan


@dataclass(frozen=True)
class Verdict:
    passed: bool
    failed_steps: int
    worst_ratio: Decimal | None      # max |error| / MPE over the steps that have a reading


def verdict(results: list[StepResult]) -> Verdict:
    """The scale passes only if every planned step has a reading within its MPE."""
    ratios = [abs(r.error) / r.mpe for r in results if r.error is not None and r.mpe > 0]
    failed = sum(not r.passed for r in results)
    return Verdict(bool(results) and failed == 0, failed, max(ratios) if ratios else None)
