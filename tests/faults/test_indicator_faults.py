"""Indicator faults on the simulated plant's pty: line noise, broken frames, a stall, a reboot.

Truck 0 is good sand, which the gate PASSes when nothing goes wrong (see test_control_run), so
a fault scenario on it can fail on the no-PASS invariant.
"""
from __future__ import annotations

import pytest

from .injector import FaultSpec
from .harness import check_invariants, run_scenario


def test_control_run_without_faults_passes_the_good_truck(tmp_path):
    # The control for every scenario below: without a fault, truck 0 PASSes, so "no PASS"
    # after a fault is the fault's doing, not the truck's.
    o = run_scenario(tmp_path, 2, [])
    check_invariants(o, touched=set(), fired=0)
    assert o.first(0).verdict == "pass"


def test_serial_noise_and_bit_flips_never_become_a_weight(tmp_path):
    # Noise bursts and single-bit errors while the truck drives on and settles. The Toledo
    # checksum and resync must drop them: every recorded weight is the truth to one division.
    # Line noise the decoder rejects does not touch the material judgement, so this scenario
    # checks weights, not verdicts (see docs/architecture.md, "Fault suite").
    faults = [FaultSpec(0, "scale.noise", at="admitted", amount=300),
              FaultSpec(0, "scale.noise", at="admitted", delay_s=2.0, amount=300),
              FaultSpec(0, "scale.flip", at="positioned", amount=20),
              FaultSpec(0, "scale.noise", at="positioned_out", amount=300)]
    o = run_scenario(tmp_path, 2, faults)
    check_invariants(o, touched=set())
    assert all(set(v.weights) == {"in", "out"} for v in o.of(0))


def test_truncated_glued_and_bad_checksum_frames_never_become_a_weight(tmp_path):
    faults = [FaultSpec(0, "scale.glue", at="positioned", amount=15),
              FaultSpec(0, "scale.truncate", at="positioned", delay_s=1.0, amount=15),
              FaultSpec(0, "scale.corrupt", at="positioned_out", amount=15)]
    o = run_scenario(tmp_path, 2, faults)
    check_invariants(o, touched=set())
    assert all(set(v.weights) == {"in", "out"} for v in o.of(0))


def test_indicator_stall_with_a_truck_on_the_deck_voids_the_pass(tmp_path):
    # 60 simulated seconds without a frame while the truck drives on and should be weighed
    # (the gate allows 25 s of unknown weight at 50x: intake/lane/pacing.py).
    o = run_scenario(tmp_path, 2, [FaultSpec(0, "scale.silence", at="admitted", delay_s=2.0, amount=60.0)])
    check_invariants(o, touched={0})
    first = o.first(0)
    assert "in" not in first.weights and first.verdict == "review"
    assert first.reasons[-1] == ["weight_unknown"]


@pytest.mark.parametrize("action", ["scale.reboot", "scale.reboot_brief"])
def test_indicator_reboot_with_a_truck_on_the_deck_voids_the_pass(tmp_path, action):
    # L6: a reboot may re-zero with the load on. Silence, NUL bytes, power-up frames, then the
    # indicator streams again before the gate has taken the weight. The brief one sends a single
    # power-up frame: the reader counts it, so the lane sees it even between two of its ticks.
    o = run_scenario(tmp_path, 2, [FaultSpec(0, action, at="positioned", amount=4.0)])
    check_invariants(o, touched={0})
    first = o.first(0)
    # Before the weight is taken the pass is void; after it, the load is held for review.
    assert first.verdicts[-1] == "review" and "indicator_reset" in sum(first.reasons, [])
