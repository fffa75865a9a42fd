"""Sampler PLC and gate I/O module faults on their real Modbus TCP servers.

Truck 0 is good sand (a PASS without faults). Faults fire `delay_s` after its sampler cycle
starts (`at="sampling"`), a cycle of about 35 s (3 points x 8 s, 10 s unloading), so they land
mid-cycle, after the weigh-in is recorded, whatever the load on the machine.
"""
from __future__ import annotations

import pytest

from hardware.modbus.gateio import GateIOError
from .injector import FaultSpec
from .harness import check_invariants, long_cycle, run_scenario


def test_sampler_fault_mid_cycle_holds_the_truck_and_stays_latched(tmp_path):
    o = run_scenario(tmp_path, 2, [FaultSpec(0, "sampler.fault", at="sampling", delay_s=6.0)])
    # The PLC fault is latched until someone resets the PLC, so truck 1 meets it too.
    check_invariants(o, touched={0, 1})
    assert o.first(0).reasons[-1][0].startswith("sampler:sampler fault")
    assert o.first(1).reasons[-1][0].startswith("sampler:")


def test_sampler_heartbeat_lost_holds_the_truck(tmp_path):
    # Stuck for 60 s: longer than the 25 s a heartbeat may stand still at 50x, inside the cycle.
    o = run_scenario(tmp_path, 2, [FaultSpec(0, "sampler.heartbeat", at="sampling", delay_s=6.0,
                                             duration_s=60.0)], config_text=long_cycle)
    check_invariants(o, touched={0})
    assert o.first(0).reasons[-1][0].startswith("sampler:heartbeat stuck")


def test_sampler_hang_times_out_and_holds_the_truck(tmp_path):
    # The mechanism stops mid-cycle while the heartbeat keeps counting: only the cycle timeout
    # (sampler.timeout_s, 240 s simulated) can catch it.
    o = run_scenario(tmp_path, 2, [FaultSpec(0, "sampler.hang", at="sampling", delay_s=6.0,
                                             duration_s=260.0)])
    check_invariants(o, touched={0})
    assert o.first(0).verdict == "review"
    reasons = o.first(0).reasons[-1]
    assert reasons == ["inspection_timeout"] or reasons[0].startswith("sampler:no DONE"), reasons


def test_io_module_gone_mid_sampling_and_back_before_the_decision(tmp_path):
    # Gone after the weigh-in is recorded, mid sampler cycle; back before the decision.
    o = run_scenario(tmp_path, 2, [FaultSpec(0, "gateio.offline", at="sampling", delay_s=2.0,
                                             duration_s=12.0)])
    check_invariants(o, touched={0})


def test_io_module_gone_when_the_decision_is_made(tmp_path):
    # Gone mid-cycle and for long after the decision (400 s simulated = 8 s wall, longer than a
    # lane read blocked in its Modbus timeouts): the route barrier cannot move.
    o = run_scenario(tmp_path, 2, [FaultSpec(0, "gateio.offline", at="sampling", delay_s=10.0,
                                             duration_s=400.0)])
    check_invariants(o, touched={0})
