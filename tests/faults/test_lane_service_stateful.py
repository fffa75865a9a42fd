"""The lane machine's service events under the same hypothesis state machine as its passes
(test_lane_machine_stateful): the I/O module lost and back, barrier orders not taken, the store
refusing records and coming back, watchdog loops down and up (with the inspection worker's job,
or the lane loop given up for good), the fail-closed procedure, refused plates. On top of every
fail-safe invariant there, here:

  * while the store takes no records or any watched loop is down, no entry or plant barrier
    is ordered open (the return route stays possible), and no truck is admitted;
  * the I/O module lost under a truck voids its pass or holds its load; an opening it did not
    take is sent again once it answers only while the pass still needs it, and a closing it did
    not take is never replayed blindly (the loop-clear rule decides it again);
  * the store back: the owed visit, still on the deck, leaves by the return lane, its outcome
    already recorded (VisitOver), never to the plant;
  * the inspection worker lost with a truck's job: that load is held and sent back; the lane
    loop given up for good: the pass in flight is recorded void;
  * a plate announced again while its refusal shows is told once;
  * no PASS verdict without the inspection's PASS.
"""
from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from intake.lane.machine import (
    ArmsClosed, Barrier, BarrierNotTaken, CloseWhenClear, Event, IOLink, LaneState, LoopDown, LoopUp, Phase,
    Refused, ShowRefusal, StoreBack, StoreFailed, VisitOver,
)
from tests.faults.test_lane_machine_stateful import LaneMachine

PARTS = st.sampled_from(["lane", "inspection", "scale", "rfid"])


class LaneServiceMachine(LaneMachine):
    def __init__(self) -> None:
        super().__init__()
        self.store_out = False
        self.owed: str | None = None
        self.down: set[str] = set()
        self.last_orders: list[Barrier] = []   # the barrier orders of the last step

    # ---- service events -------------------------------------------------------------------

    @rule()
    def io_lost(self) -> None:
        before = self.state
        cmds = self._step(IOLink(self.now, "gate_io:timeout"))
        if before.io_error is None and before.phase in (Phase.ENTERING, Phase.WEIGHING):
            assert any(isinstance(c, Barrier) and c.name == "return" for c in cmds), "I/O lost, pass not voided"
        if before.io_error is None and before.phase is Phase.INSPECTING:
            assert "gate_io_lost" in self.state.holds, "I/O lost under the probe, load not held"

    @rule()
    def io_back(self) -> None:
        before = self.state
        cmds = self._step(IOLink(self.now, None))
        for c in cmds:
            assert isinstance(c, Barrier) and c.open and c in before.pending, f"{c} sent on the link's return"

    @precondition(lambda self: bool(self.last_orders))
    @rule(data=st.data())
    def order_not_taken(self, data) -> None:
        """The module refused a barrier order of the step just made."""
        order = data.draw(st.sampled_from(self.last_orders))
        self._step(BarrierNotTaken(self.now, order.name, order.open, "gate_io:refused"))
        if order.open:
            assert order in self.state.pending, "an opening not taken was forgotten"
        else:
            assert order.name in self.state.open, "a closing not taken was forgotten"
            self.open[order.name] = True   # it may still be up: the machine must close it again

    @rule(kind=st.sampled_from(["store:full", "store:locked"]))
    def store_fails(self, kind: str) -> None:
        if not self.store_out:
            p = self.current
            routed = self.state.route is not None and self.open.get(self.state.route, False) and \
                not any(b.name == self.state.route for b in self.state.pending)
            self.owed = p.visit if p is not None and self.state.phase is not Phase.IDLE and not routed else None
        self.store_out = True
        assert self._step(StoreFailed(self.now, kind)) == []

    @precondition(lambda self: self.store_out)
    @rule()
    def store_back(self) -> None:
        p, owed = self.current, self.owed
        cmds = self._step(StoreBack(self.now, owed, "store_full"))
        self.store_out, self.owed = False, None
        if owed is not None and p is not None and p.visit == owed:
            assert VisitOver(owed) in cmds and Barrier("return", True) in cmds, cmds
            assert self.state.verdict == "review"

    @rule(part=PARTS, final=st.booleans(), with_job=st.booleans())
    def loop_down(self, part: str, final: bool, with_job: bool) -> None:
        p = self.current
        job = p.visit if (part == "inspection" and with_job and p is not None and p.inspect_asked
                          and p.result is None and self.state.phase is Phase.INSPECTING) else None
        if job is not None:
            assert p is not None
            p.result = (None,)   # the worker's inspection is gone: no result of its own
        self.down.add(part)
        cmds = self._step(LoopDown(self.now, part, "hung", final, job))
        assert cmds and isinstance(cmds[-1], CloseWhenClear), "a loop down without failing closed"
        if job is not None:
            assert Barrier("return", True) in cmds and self.state.verdict == "review"

    @precondition(lambda self: bool(self.down))
    @rule(data=st.data())
    def loop_up(self, data) -> None:
        part = data.draw(st.sampled_from(sorted(self.down)))
        self.down.discard(part)
        assert self._step(LoopUp(self.now, part)) == []

    @rule(data=st.data())
    def fail_closed(self, data) -> None:
        """The driver's fail-closed procedure lowered the arms it found clear."""
        names = tuple(data.draw(st.sets(st.sampled_from(["entry", "plant", "return"]))))
        self._step(ArmsClosed(self.now, names))
        for name in names:
            self.open[name] = False

    @rule(plate=st.sampled_from(["tag:0A1B2C3D4E", "沪A·X9008"]), dt=st.sampled_from([0.5, 5.0, 40.0]))
    def refused(self, plate: str, dt: float) -> None:
        self.now += dt
        last = self.state.refused
        cmds = self._step(Refused(self.now, plate, "unknown_vehicle"))
        told = [c for c in cmds if isinstance(c, ShowRefusal)]
        showing = last is not None and last.plate == plate and self.now - last.now <= 30.0
        assert told == ([] if showing else [ShowRefusal(plate, "unknown_vehicle")]), (last, told)

    # ---- judging --------------------------------------------------------------------------

    def _judge(self, cmd, earlier: list, event: Event, before: LaneState) -> None:
        if isinstance(cmd, Barrier) and cmd.open and cmd.name in ("entry", "plant"):
            assert not self.store_out, f"{cmd.name} opened while the store takes no records"
            assert not self.down, f"{cmd.name} opened with loops down: {self.down}"
        if isinstance(cmd, VisitOver):
            assert self.current is not None and cmd.visit == self.current.visit
            self.current.voided = True
        super()._judge(cmd, earlier, event, before)

    def _step(self, event: Event) -> list:
        cmds = super()._step(event)
        self.last_orders = [c for c in cmds if isinstance(c, Barrier)]
        p = self.current
        if self.state.verdict == "pass":
            assert p is not None and p.result == ("pass",), "PASS without the inspection's PASS"
        return cmds


LaneServiceMachine.TestCase.settings = settings(max_examples=300, stateful_step_count=60, deadline=None,
                                                suppress_health_check=[HealthCheck.too_slow])
TestLaneServiceMachine = LaneServiceMachine.TestCase
