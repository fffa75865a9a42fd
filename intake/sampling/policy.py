"""Which trucks are sampled. Pure: the inputs are values, the keyed draw is passed in.

Inspection mode per supplier and material, in the spirit of ISO 2859-3 skip-lot sampling. The
mode is found by replaying the latest results (oldest first, at most `history_len`), starting in
normal; only PASS and REJECT are results (an unresolved REVIEW is no evidence either way, and a
reviewer's later decision replaces it):

- normal -> tightened when `tighten_rejects` of the last `tighten_window` results are rejects
  (default 2 of 5);
- normal -> reduced after `reduce_after_passes` passes in a row (default 10);
- tightened -> normal after `relax_after_passes` passes in a row counted from the switch
  (default 5);
- reduced -> normal on any reject; that reject stays in the window of the new normal period.

Every switch restarts the pass count; tightened and reduced periods start with an empty window.
Rates: normal = the configured rate for the supplier and material; tightened = normal x
`tightened_factor` (at most 1); reduced = normal x `reduced_factor`.

Lots: deliveries of one supplier and material fill lot after lot (600 t by default, or the lot
volume times the material's bulk density if that is smaller). A truck whose load brings the open
lot to its size closes it; if nothing in that lot was sampled yet, that truck is sampled anyway
(`reason="lot_end"`), so every lot gets at least one sample.

A truck the gate cannot inspect (no usable model: `unavailable="model_unavailable"`) is drawn
all the same, so the day's draws stay auditable, but one that would be sampled is recorded as
not sampled with that reason (`reason="model_unavailable"`): it is not probed, and its lot
stays unsampled, so the next truck that closes a lot while the model is back is sampled.
"""
from __future__ import annotations

from collections import deque
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from intake.config import SwitchingRules

Mode = Literal["normal", "tightened", "reduced"]
Result = Literal["pass", "reject"]
Reason = Literal["drawn", "lot_end", "not_drawn", "model_unavailable"]
Unavailable = Literal["model_unavailable"]


class Value(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SupplierHistory(Value):
    """What the policy needs to know about one supplier's material before this truck."""
    supplier: str
    material: str
    recent: tuple[Result, ...] = ()             # latest sampled results, oldest first
    lot_no: int = Field(1, ge=1)                # the open lot's sequence number
    lot_kg: int = Field(0, ge=0)                # delivered into the open lot so far
    lot_sampled: bool = False                   # the open lot already has a sample


class PolicyParams(Value):
    """The configuration resolved for one supplier and material (recorded with each selection)."""
    rate: float = Field(ge=0, le=1)             # normal-inspection rate
    lot_size_kg: int = Field(gt=0)
    rules: SwitchingRules = SwitchingRules()


class Selection(Value):
    sampled: bool
    reason: Reason
    draw: float = Field(ge=0, lt=1)
    rate: float = Field(ge=0, le=1)
    mode: Mode
    lot_id: str


def mode_of(results: tuple[Result, ...], rules: SwitchingRules) -> Mode:
    """Replay the results through the switching rules (see the module docstring)."""
    mode: Mode = "normal"
    streak = 0
    window: deque[Result] = deque(maxlen=rules.tighten_window)
    for result in results[-rules.history_len:]:
        window.append(result)
        streak = streak + 1 if result == "pass" else 0
        if mode == "normal":
            if window.count("reject") >= rules.tighten_rejects:
                mode, streak = "tightened", 0
                window.clear()
            elif streak >= rules.reduce_after_passes:
                mode, streak = "reduced", 0
                window.clear()
        elif mode == "tightened":
            if streak >= rules.relax_after_passes:
                mode, streak = "normal", 0
                window.clear()
        elif result == "reject":
            mode, streak = "normal", 0       # the reject stays in the window
    return mode


def rate_for(mode: Mode, params: PolicyParams) -> float:
    if mode == "tightened":
        return min(1.0, params.rate * params.rules.tightened_factor)
    if mode == "reduced":
        return params.rate * params.rules.reduced_factor
    return params.rate


def lot_id(history: SupplierHistory) -> str:
    return f"{history.supplier}/{history.material}/{history.lot_no}"


def select_truck(params: PolicyParams, history: SupplierHistory, load_kg: int, draw: float,
                 unavailable: Unavailable | None = None) -> Selection:
    """Sample this truck? `load_kg` is its expected delivered load, `draw` its keyed number,
    `unavailable` why the gate cannot inspect a sample now (None: it can)."""
    mode = mode_of(history.recent, params.rules)
    rate = rate_for(mode, params)
    closes_lot = history.lot_kg + max(0, load_kg) >= params.lot_size_kg
    reason: Reason
    if draw < rate:
        reason = "drawn"
    elif closes_lot and not history.lot_sampled:
        reason = "lot_end"
    else:
        reason = "not_drawn"
    if unavailable is not None and reason != "not_drawn":
        reason = unavailable   # would be sampled, cannot be inspected: not probed at all
    return Selection(sampled=reason in ("drawn", "lot_end"), reason=reason, draw=draw, rate=rate, mode=mode,
                     lot_id=lot_id(history))


def after_truck(history: SupplierHistory, params: PolicyParams, load_kg: int, sampled: bool,
                result: Result | None = None) -> SupplierHistory:
    """The history the next truck of this supplier and material sees (a closed lot starts anew).
    The store derives the same from its records; this pure twin drives simulations and tests."""
    recent = (*history.recent, result)[-params.rules.history_len:] if result else history.recent
    lot_kg = history.lot_kg + max(0, load_kg)
    if lot_kg >= params.lot_size_kg:
        return history.model_copy(update={"recent": recent, "lot_no": history.lot_no + 1, "lot_kg": 0,
                                          "lot_sampled": False})
    return history.model_copy(update={"recent": recent, "lot_kg": lot_kg,
                                      "lot_sampled": history.lot_sampled or sampled})
