"""Hypothesis state machine over the PURE lane machine (intake.lane.machine.step): random
sequences of admissions, device readings (unknown weights, motion, gratings, loops, jumps in
time) and inspection results, including faults, under the gate's fail-safe invariants:

  * the plant barrier opens only for a weigh-in ("in") pass whose weight was recorded, whose
    inspection said PASS or "not sampled", that was not voided, and whose truck stayed wholly
    on the deck after the weigh-in;
  * a weight is recorded only from a stable, known, in-range reading with the truck wholly on
    the deck, after stable_time_s of readings within the band, once per pass;
  * records come before the barrier commands they justify; plant and return never both open;
  * the entry barrier opens only from IDLE with the deck at zero, no lane fault active or
    latched since the last reset that took, and both exit barriers ordered closed;
  * a reset takes only with no fault active; refused, it clears nothing;
  * an interlock break while the probe cycle runs sends STOP in the same step, and that load
    never reaches the plant barrier; a break after the inspection ended is recorded (a hold);
  * no barrier is ordered closed unless the loop under it read clear in every reading of the
    last loop_clear_s (the exit loop for the plant and return arms): never onto a truck,
    never in the gap between axles or tractor and trailer;
  * every pass that ends (back to IDLE) ended in a recorded outcome: a void, a weigh-out, or a
    weigh-in plus an inspection result.

HeldLaneMachine runs the same with a remote attendant's hold window: a REVIEW load waits on the
deck, and random answers (release, send back, park; with or without a reason or an attendant,
for this truck or another) come in. The plant barrier then also opens for a REVIEW load, but only
after a release that the machine recorded as taken, for this truck, named and reasoned, with no
lane fault active or latched, and the truck not moved since its weigh-in.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from intake.config import AttendantConfig, SafetyConfig, WeighingConfig
from intake.lane.machine import (
    Admitted, AttendantDecision, Barrier, RecordAttendant, Event, Inspect, InspectionDone, Interlocks, LaneFaults, LaneReset, LaneState, Phase,
    ProbeCycle, Readings, RecordHold, RecordReset, RecordVoid, RecordWeight, StopProbe, step,
)

CFG = WeighingConfig(stable_band_kg=20, stable_time_s=2.0, min_load_kg=1000, max_kg=60000,
                     zero_band_kg=40, settle_timeout_s=60.0, unknown_timeout_s=5.0)
SAFETY = SafetyConfig(loop_clear_s=2.0)
TICK = 0.25

weights = st.one_of(st.none(), st.integers(-200, 70_000), st.sampled_from([0, 20, 39_800, 39_820, 60_020]))
verdicts = st.sampled_from([None, "pass", "reject", "review"])
fault_reasons = st.sampled_from([(), ("sampler:heartbeat stuck",), ("camera:no_frames",), ("model_unavailable",),
                                 ("inspection_timeout",), ("quality:blur",)])


@dataclass
class Pass:
    """What the model saw of the current pass, to judge the machine's commands against."""
    visit: str
    kind: str
    recorded: int | None = None
    voided: bool = False
    inspect_asked: bool = False
    result: tuple[str | None] | None = None    # (verdict,) once the inspection reported
    moved_after_weighing: bool = False
    interlock_broken: bool = False             # an interlock broke while its probe cycle ran
    released: bool = False                     # the machine took an attendant's release
    history: list[Readings] = field(default_factory=list)


class LaneMachine(RuleBasedStateMachine):
    ATTENDANT = AttendantConfig()   # no attendant: a REVIEW load goes back at once

    def __init__(self) -> None:
        super().__init__()
        self.state = LaneState()
        self.now = 0.0
        self.n = 0
        self.current: Pass | None = None
        self.open = {"entry": False, "plant": False, "return": False}
        self.seen: list[Readings] = []       # every reading, across passes
        self.faults: tuple[str, ...] = ()
        self.latched: set[str] = set()        # faults reported since the last reset that took
        self.probe_moving = False             # the model's probe: started and not stopped

    # ---- events ---------------------------------------------------------------------------

    @rule(kind=st.sampled_from(["in", "out"]))
    def admit(self, kind: str) -> None:
        self.n += 1
        was_idle_zero = self.state.phase is Phase.IDLE and self.state.deck_zero
        cmds = self._step(Admitted(self.now, f"v{self.n}", f"P{self.n}", kind))  # type: ignore[arg-type]
        if Barrier("entry", True) in cmds:
            assert was_idle_zero, "entry opened while the lane was busy or the deck not at zero"
            self.current = Pass(f"v{self.n}", kind)

    @rule(w=weights, motion=st.sampled_from([False, True, None]), front=st.booleans(), rear=st.booleans(),
          deck=st.booleans(), entry=st.booleans(), exit_=st.booleans(),
          dt=st.sampled_from([TICK, TICK, 1.0, 6.0, 70.0]))
    def reading(self, w, motion, front, rear, deck, entry, exit_, dt) -> None:
        self.now += dt
        self._step(Readings(self.now, w, motion, front, rear, deck, entry, exit_))

    @rule(tail=st.integers(0, 12), gaps=st.lists(st.booleans(), max_size=10))
    def drive_off(self, tail: int, gaps: list[bool]) -> None:
        """Off the deck and over the exit loop: the deck reads zero while the tail is still
        under the exit arm, then the loop flickers (a trailer coupling) before it is clear."""
        for _ in range(tail):
            self.now += TICK
            self._step(Readings(self.now, 0, False, False, False, False, False, True))
        for occupied in gaps:
            self.now += TICK
            self._step(Readings(self.now, 0, False, False, False, False, False, occupied))

    @rule(faults=st.sampled_from([(), (), ("barrier_plant_not_closed",), ("gate_io_frozen",),
                                  ("barrier_entry_not_open", "gate_io_frozen")]))
    def lane_faults(self, faults: tuple[str, ...]) -> None:
        self._step(LaneFaults(self.now, faults))
        self.faults = faults
        self.latched |= set(faults)

    @rule()
    def technician_reset(self) -> None:
        cmds = self._step(LaneReset(self.now, "tech", 1))
        answer = [c for c in cmds if isinstance(c, RecordReset)]
        assert len(answer) == 1 and answer[0].by == "tech"
        if self.faults:
            assert answer[0].refused_by == self.faults and answer[0].cleared == ()
            assert set(self.state.latched) == self.latched, "a refused reset changed the latch"
        else:
            assert set(answer[0].cleared) == self.latched and answer[0].refused_by == ()
            self.latched = set()
        assert set(self.state.latched) == self.latched

    @rule(running=st.booleans())
    def probe_cycle(self, running: bool) -> None:
        was = self.state.phase
        self._step(ProbeCycle(self.now, running))
        self.probe_moving = running and was is Phase.INSPECTING

    @rule(broken=st.sampled_from([(), ("zone_clear",), ("truck_steady",), ("zone_clear", "truck_steady"),
                                  ("barriers_closed",)]))
    def interlocks(self, broken: tuple[str, ...]) -> None:
        before, p = self.state, self.current
        cmds = self._step(Interlocks(self.now, broken))
        stops = [c for c in cmds if isinstance(c, StopProbe)]
        if broken and self.probe_moving:
            assert stops, f"probe left moving with {broken} broken"
            self.probe_moving = False
            if p is not None:
                p.interlock_broken = True
        if not before.probe:
            assert not stops, "STOP without a probe cycle"
        if broken and before.phase is Phase.ROUTING and p is not None and p.kind == "in" \
                and p.recorded is not None and not p.voided:
            reason = "interlock:" + ",".join(broken)
            # Recorded beside the decision now, or already when the inspection ended (the lane
            # saw the same break while the probe ran; a REJECT keeps its verdict and takes it on).
            assert reason in self.state.reasons, "a break after the inspection went unrecorded"
            assert RecordHold(p.visit, (reason,)) in cmds or reason in before.reasons + before.holds

    @rule(w=st.integers(900, 61_000), n=st.integers(1, 14), jitter=st.integers(0, 30))
    def steady_truck(self, w: int, n: int, jitter: int) -> None:
        """A truck standing still on the deck: the only way to reach a weigh-in by chance."""
        for i in range(n):
            self.now += TICK
            self._step(Readings(self.now, w + (jitter if i % 2 else 0), False, False, False, True, False))

    @rule(n=st.integers(1, 4))
    def deck_clears(self, n: int) -> None:
        for _ in range(n):
            self.now += TICK
            self._step(Readings(self.now, 0, False, False, False, False, False))

    @rule(kind=st.sampled_from(["in", "in", "out"]), w=st.integers(1000, 60_000), verdict=verdicts,
          reasons=fault_reasons)
    def orderly_pass(self, kind: str, w: int, verdict, reasons) -> None:
        """A whole well-behaved pass, so runs reach the plant barrier often, not by luck alone;
        the other rules interleave faults before and after it."""
        self.deck_clears(2)
        self.admit(kind)
        self.steady_truck(w, 12, 0)
        if self.current is not None and self.current.inspect_asked and self.current.result is None:
            self.inspection_done(verdict, reasons)

    @rule(w=st.integers(1000, 60_000), broken=st.sampled_from([(), ("zone_clear",), ("truck_steady", "zone_clear")]),
          verdict=verdicts, client_saw=st.booleans())
    def sampled_pass(self, w: int, broken: tuple[str, ...], verdict, client_saw: bool) -> None:
        """A pass whose probe cycle runs (and maybe meets a break) before its result comes; the
        sampler client's own poll may have missed the break (`client_saw` False)."""
        self.deck_clears(2)
        self.admit("in")
        self.steady_truck(w, 12, 0)
        if self.current is None or not self.current.inspect_asked or self.current.result is not None:
            return
        self.probe_cycle(True)
        self.interlocks(broken)
        self.probe_cycle(False)
        self.inspection_done(verdict, ("interlock:" + ",".join(broken),) if broken and client_saw else ())

    @precondition(lambda self: self.current is not None and self.current.inspect_asked
                  and self.current.result is None)
    @rule(verdict=verdicts, reasons=fault_reasons)
    def inspection_done(self, verdict, reasons) -> None:
        assert self.current is not None
        if reasons:  # a fault never reports PASS: the inspector turns faults into REVIEW
            verdict = "review"
        self.current.result = (verdict,)
        self._step(InspectionDone(self.now, verdict, tuple(reasons)))

    @precondition(lambda self: self.current is None or not self.current.inspect_asked
                  or self.current.result is not None)
    @rule(verdict=verdicts)
    def stray_inspection_result(self, verdict) -> None:
        # No inspection is outstanding: a result now must change nothing.
        before = self.state
        cmds = self._step(InspectionDone(self.now, verdict))
        assert cmds == [] and self.state == before

    # ---- judging each transition ------------------------------------------------------------

    def _step(self, event: Event) -> list:
        before = self.state
        self.state, cmds = step(self.state, event, CFG, SAFETY, self.ATTENDANT)
        p = self.current
        if isinstance(event, Readings):
            self.seen.append(event)
        if isinstance(event, InspectionDone) or self.state.phase is not Phase.INSPECTING:
            self.probe_moving = False
        if p is not None and isinstance(event, Readings):
            p.history.append(event)
            if p.recorded is not None and before.phase in (Phase.INSPECTING, Phase.HELD) and (
                    event.front_blocked or event.rear_blocked or not event.deck_occupied):
                p.moved_after_weighing = True
        for i, cmd in enumerate(cmds):
            self._judge(cmd, cmds[:i], event, before)
        if before.phase is not Phase.IDLE and self.state.phase is Phase.IDLE and p is not None:
            self._pass_ended(p)
        return cmds

    def _judge(self, cmd, earlier: list, event: Event, before: LaneState) -> None:
        p = self.current
        if isinstance(cmd, RecordWeight):
            assert p is not None and p.recorded is None and cmd.visit == p.visit and cmd.kind == p.kind
            assert before.phase is Phase.WEIGHING
            self._check_stable(p, cmd.weight_kg)
            p.recorded = cmd.weight_kg
        elif isinstance(cmd, RecordVoid):
            assert p is not None and cmd.visit == p.visit
            p.voided = True
        elif isinstance(cmd, RecordAttendant) and cmd.refused is None:
            assert isinstance(event, AttendantDecision) and before.phase is Phase.HELD
            assert p is not None and cmd.visit == p.visit and cmd.by.strip() and cmd.reason.strip()
            if cmd.action == "release":
                assert not self.faults and not self.latched, "release taken on a faulted lane"
                p.released = True
        elif isinstance(cmd, Inspect):
            assert p is not None and p.kind == "in" and p.recorded is not None
            assert any(isinstance(c, RecordWeight) for c in earlier), "inspection before the weigh-in record"
            p.inspect_asked = True
        elif isinstance(cmd, Barrier):
            if not cmd.open:
                self._check_loop_clear(cmd.name, event)
            if cmd.open and cmd.name == "entry":
                assert not self.faults, f"entry opened with lane faults {self.faults}"
                assert not self.latched, f"entry opened with faults latched {self.latched}"
                assert not (self.open["plant"] or self.open["return"]), "entry opened with an exit up"
            if cmd.open and cmd.name == "plant":
                self._check_plant_opening(p)
            if cmd.open and cmd.name in ("plant", "return"):
                other = "return" if cmd.name == "plant" else "plant"
                assert not self.open[other], "plant and return barriers open together"
            self.open[cmd.name] = cmd.open

    def _check_loop_clear(self, name: str, event: Event) -> None:
        assert isinstance(event, Readings) and self.seen[-1] is event, f"{name} closed on {event}"
        loop = "entry_loop" if name == "entry" else "exit_loop"
        occupied = [i for i, r in enumerate(self.seen) if getattr(r, loop)]
        first_clear = self.seen[occupied[-1] + 1 if occupied else 0]   # the unbroken clear run
        assert not getattr(event, loop), f"{name} closed with its loop occupied"
        assert event.now - first_clear.now >= SAFETY.loop_clear_s, (
            f"{name} closed {event.now - first_clear.now:.2f}s into a clear run")

    def _check_plant_opening(self, p: Pass | None) -> None:
        assert p is not None and p.kind == "in", "plant barrier for no pass or a weigh-out"
        assert p.recorded is not None, "plant barrier without a recorded weigh-in"
        assert not p.voided, "plant barrier after a void"
        assert p.result is not None and (p.result[0] in (None, "pass") or p.released), f"plant barrier on {p.result}"
        assert not p.moved_after_weighing, "plant barrier though the truck moved after the weigh-in"
        assert not p.interlock_broken, "plant barrier though an interlock broke under the probe"

    def _check_stable(self, p: Pass, weight: int) -> None:
        assert CFG.min_load_kg <= weight <= CFG.max_kg, weight
        last = p.history[-1]
        assert last.weight_kg == weight and last.motion is not True
        # Walk back over the unbroken run of good readings that led to this record.
        start = last.now
        for r in reversed(p.history):
            good = (r.weight_kg is not None and not r.motion and r.deck_occupied and not r.front_blocked
                    and not r.rear_blocked and abs(r.weight_kg - weight) <= 2 * CFG.stable_band_kg)
            if not good:
                break
            start = r.now
        assert last.now - start >= CFG.stable_time_s, f"recorded after {last.now - start:.2f}s of stability"

    def _pass_ended(self, p: Pass) -> None:
        outcome = p.voided or (p.kind == "out" and p.recorded is not None) or \
            (p.kind == "in" and p.recorded is not None and p.result is not None)
        assert outcome, f"pass {p} ended without a recorded outcome"
        self.current = None

    @invariant()
    def never_two_exits_open(self) -> None:
        assert not (self.open["plant"] and self.open["return"])


class HeldLaneMachine(LaneMachine):
    ATTENDANT = AttendantConfig(hold_s=30.0)

    @precondition(lambda self: self.current is not None)
    @rule(action=st.sampled_from(["release", "release", "send_back", "park"]), by=st.sampled_from(["", "wang"]),
          reason=st.sampled_from(["", "  ", "photos fine"]), other_truck=st.booleans())
    def attendant_answers(self, action: str, by: str, reason: str, other_truck: bool) -> None:
        assert self.current is not None
        visit = "someone else" if other_truck else self.current.visit
        self._step(AttendantDecision(self.now, visit, action, by, reason))  # type: ignore[arg-type]


HeldLaneMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=60, deadline=None,
                                             suppress_health_check=[HealthCheck.too_slow])
TestHeldLaneMachine = HeldLaneMachine.TestCase

LaneMachine.TestCase.settings = settings(max_examples=300, stateful_step_count=60, deadline=None,
                                         suppress_health_check=[HealthCheck.too_slow])
TestLaneMachine = LaneMachine.TestCase
