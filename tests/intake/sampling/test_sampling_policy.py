"""Which trucks: rates per mode within binomial bounds, the switching rules, forced lot samples."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.config import SwitchingRules
from intake.sampling.keyed import draw
from intake.sampling.policy import (
    PolicyParams, SupplierHistory, after_truck, mode_of, rate_for, select_truck,
)

RULES = SwitchingRules()
P, R = "pass", "reject"
BIG_LOT = 10**12   # no lot ever closes: only the rate decides
MODE_HISTORY = {"normal": (), "tightened": (R, R), "reduced": (P,) * 10}


def within_binomial(hits: int, n: int, p: float, z: float = 5.0) -> bool:
    """`hits` of `n` is a plausible Binomial(n, p) outcome (5 sigma: a false alarm ~ 1 in 3.5 million)."""
    sigma = math.sqrt(n * p * (1 - p))
    return abs(hits - n * p) <= z * sigma + 1


@pytest.mark.parametrize("mode", ["normal", "tightened", "reduced"])
@settings(max_examples=15, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32), rate=st.floats(0.05, 0.6))
def test_selection_rate_per_mode_is_within_binomial_bounds(mode, seed, rate):
    params = PolicyParams(rate=rate, lot_size_kg=BIG_LOT)
    history = SupplierHistory(supplier="s", material="sand", recent=MODE_HISTORY[mode])
    n = 3000
    picks = [select_truck(params, history, 30_000, draw(seed, f"visit-{i}")) for i in range(n)]
    assert {p.mode for p in picks} == {mode}
    expected = rate_for(mode, params)
    assert expected == {"normal": rate, "tightened": min(1.0, 2 * rate), "reduced": rate / 2}[mode]
    assert all(p.reason in ("drawn", "not_drawn") for p in picks)
    assert within_binomial(sum(p.sampled for p in picks), n, expected)


def test_rate_edges_zero_never_one_always():
    history = SupplierHistory(supplier="s", material="m")
    draws = [draw(b"\x01" * 32, str(i)) for i in range(500)]
    assert not any(select_truck(PolicyParams(rate=0, lot_size_kg=BIG_LOT), history, 1, d).sampled for d in draws)
    assert all(select_truck(PolicyParams(rate=1, lot_size_kg=BIG_LOT), history, 1, d).sampled for d in draws)


@pytest.mark.parametrize("results, mode", [
    ((), "normal"),
    ((R,), "normal"),
    ((R, R), "tightened"),
    ((R, P, P, P, R), "tightened"),            # 2 rejects in the last 5
    ((R, P, P, P, P, R), "normal"),            # the first reject fell out of the window
    ((R, R) + (P,) * 4, "tightened"),
    ((R, R) + (P,) * 5, "normal"),             # relaxed after 5 passes in a row
    ((R, R) + (P,) * 5 + (R,), "normal"),      # a fresh window after the switch
    ((P,) * 9, "normal"),
    ((P,) * 10, "reduced"),
    ((P,) * 40, "reduced"),
    ((P,) * 10 + (R,), "normal"),              # any reject ends reduced inspection
    ((P,) * 10 + (R, R), "tightened"),         # and that reject still counts in the window
    ((R, R) + (P,) * 5 + (P,) * 10, "reduced"),
])
def test_switching_rules(results, mode):
    assert mode_of(results, RULES) == mode


def test_switching_numbers_come_from_config():
    rules = SwitchingRules(tighten_window=3, tighten_rejects=1, relax_after_passes=2, reduce_after_passes=3)
    assert mode_of((R,), rules) == "tightened"
    assert mode_of((R, P, P), rules) == "normal"
    assert mode_of((P, P, P), rules) == "reduced"


@settings(max_examples=300, deadline=None)
@given(results=st.lists(st.sampled_from([P, R]), max_size=60))
def test_modes_change_only_along_allowed_edges_on_the_right_result(results):
    rules = SwitchingRules(history_len=1000)
    modes = [mode_of(tuple(results[:i]), rules) for i in range(len(results) + 1)]
    for i, (before, after) in enumerate(zip(modes, modes[1:])):
        if before == after:
            continue
        assert {before, after} in ({"normal", "tightened"}, {"normal", "reduced"})
        trigger = results[i]
        if after == "tightened" or before == "reduced":
            assert trigger == R
        else:
            assert trigger == P


def simulate(loads: list[int], rate: float, seed: bytes, lot_kg: int) -> list[tuple[str, bool, str, bool]]:
    """(lot_id, sampled, reason, closes_lot) per truck, with the pure history update."""
    params = PolicyParams(rate=rate, lot_size_kg=lot_kg)
    history = SupplierHistory(supplier="s", material="sand")
    out = []
    for i, load in enumerate(loads):
        sel = select_truck(params, history, load, draw(seed, f"v{i}"))
        nxt = after_truck(history, params, load, sel.sampled)
        out.append((sel.lot_id, sel.sampled, sel.reason, nxt.lot_no != history.lot_no))
        history = nxt
    return out


@settings(max_examples=200, deadline=None)
@given(loads=st.lists(st.integers(5_000, 40_000), min_size=1, max_size=200),
       rate=st.sampled_from([0.0, 0.02, 0.1, 0.5]), seed=st.binary(min_size=32, max_size=32))
def test_every_closed_lot_has_a_sample_and_only_its_last_truck_is_forced(loads, rate, seed):
    trucks = simulate(loads, rate, seed, lot_kg=600_000)
    lots: dict[str, list[tuple[bool, str, bool]]] = {}
    for lot, sampled, reason, closes in trucks:
        lots.setdefault(lot, []).append((sampled, reason, closes))
    for lot, members in lots.items():
        closed = members[-1][2]
        assert all(not c for _, _, c in members[:-1])                 # only the last truck closes it
        if closed:
            assert any(s for s, _, _ in members), lot
        forced = [i for i, (_, reason, _) in enumerate(members) if reason == "lot_end"]
        assert forced in ([], [len(members) - 1])
        if forced:
            assert not any(s for s, _, _ in members[:-1])              # forced only when nothing else was
        if rate == 0.0:
            assert [s for s, _, _ in members] == [closed and i == len(members) - 1 for i in range(len(members))]
    delivered = sum(loads)
    assert sum(1 for m in lots.values() if m[-1][2]) <= delivered // 600_000 + 1


def test_a_lot_closes_at_its_size_and_the_next_starts_empty():
    trucks = simulate([200_000, 200_000, 200_000, 50_000], 0.0, b"\x00" * 32, lot_kg=600_000)
    assert [t[0] for t in trucks] == ["s/sand/1"] * 3 + ["s/sand/2"]
    assert [t[1] for t in trucks] == [False, False, True, False]
    assert trucks[2][2] == "lot_end"


@settings(max_examples=40, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32), rate=st.floats(0.0, 1.0), lot_kg=st.integers(0, 700_000),
       lot_sampled=st.booleans())
def test_a_truck_that_cannot_be_inspected_is_never_sampled(seed, rate, lot_kg, lot_sampled):
    """Without a model: the same draw, never sampled; "model_unavailable" exactly where the
    truck would otherwise have been sampled (drawn or closing its lot), "not_drawn" elsewhere."""
    params = PolicyParams(rate=rate, lot_size_kg=600_000)
    history = SupplierHistory(supplier="s", material="sand", lot_kg=lot_kg, lot_sampled=lot_sampled)
    for i in range(20):
        d = draw(seed, f"visit-{i}")
        usual = select_truck(params, history, 30_000, d)
        blind = select_truck(params, history, 30_000, d, "model_unavailable")
        assert not blind.sampled and (blind.draw, blind.rate, blind.mode) == (usual.draw, usual.rate, usual.mode)
        assert blind.reason == ("model_unavailable" if usual.sampled else "not_drawn")
