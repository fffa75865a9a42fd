"""The simulator speaks every protocol over a real pty (or TCP); the ScaleReader reads it,
polling the command protocols. Faults: the reader counts and skips, never a wrong weight."""
from __future__ import annotations

import threading
from decimal import Decimal
from typing import Callable

import pytest

from hardware.scale.codecs import ALWAYS_POLLED, CODECS
from hardware.scale.frame import FrameError, WeightFrame
from hardware.scale.reader import ScaleReader
from hardware.scale.simulator import IndicatorSimulator

CHECKSUMMED = {name for name, codec in CODECS.items() if codec.checksum}
COMMAND = [("sics", {}), ("yaohua", {"command": True}), ("keli", {"command": True}),
           ("sma", {"poll": True}), ("nci", {})]


class Collector:
    def __init__(self) -> None:
        self.items: list[WeightFrame | FrameError] = []
        self._lock = threading.Lock()

    def __call__(self, item: WeightFrame | FrameError) -> None:
        with self._lock:
            self.items.append(item)

    def frames(self) -> list[WeightFrame]:
        with self._lock:
            return [i for i in self.items if isinstance(i, WeightFrame)]


@pytest.mark.parametrize("protocol", sorted(set(CODECS) - ALWAYS_POLLED))
def test_every_continuous_protocol_streams_over_a_pty(protocol: str, wait_for: Callable) -> None:
    got = Collector()
    with IndicatorSimulator(lambda: (1560, False), period=0.01, protocol=protocol) as sim, \
            ScaleReader(sim.port, protocol, on_frame=got) as reader:
        wait_for(lambda: len(got.frames()) >= 5)
    assert {(f.weight, f.unit) for f in got.frames()} == {(Decimal(1560), "kg")}
    assert reader.stats().errors == 0 and reader.stats().polls == 0


@pytest.mark.parametrize(("protocol", "options"), COMMAND)
def test_command_protocols_answer_the_readers_polls(protocol: str, options: dict,
                                                    wait_for: Callable) -> None:
    got = Collector()
    with IndicatorSimulator(lambda: (2480, False), protocol=protocol, command=True) as sim, \
            ScaleReader(sim.port, protocol, protocol_options=options, on_frame=got,
                        poll_period=0.02) as reader:
        wait_for(lambda: len(got.frames()) >= 5)
        stats = reader.stats()
    assert {f.weight for f in got.frames()} == {Decimal(2480)}
    assert stats.polls >= 5 and sim.polls_answered >= 5 and sim.frames_sent == 0


def test_sir_is_asked_once_then_streams_and_is_asked_again_after_a_reboot(
        wait_for: Callable) -> None:
    got = Collector()
    with IndicatorSimulator(lambda: (4080, False), period=0.01, protocol="sics-sir") as sim, \
            ScaleReader(sim.port, "sics-sir", on_frame=got, frame_period=0.02,
                        poll_period=0.05) as reader:
        wait_for(lambda: len(got.frames()) >= 20)
        assert reader.stats().polls == 1 and sim.polls_answered == 1  # one SIR, many lines
        # The simulator counts a line after writing it: the reader may hold it first.
        wait_for(lambda: sim.frames_sent >= 19)
        sim.reboot(0.1, power_up_frames=0)  # the indicator forgets SIR: the stream stops
        wait_for(lambda: not reader.latest().known, timeout=1.0)
        wait_for(lambda: reader.latest().known, timeout=3.0)  # the reader asked again
        assert reader.stats().polls >= 2
    assert {(f.weight, f.unit, f.stable) for f in got.frames()} == {(Decimal(4080), "kg", True)}


def test_polling_over_tcp_and_motion_is_reported(wait_for: Callable) -> None:
    got = Collector()
    with IndicatorSimulator(lambda: (900, True), protocol="sics", transport="tcp") as sim, \
            ScaleReader(sim.port, "sics", on_frame=got, poll_period=0.02):
        wait_for(lambda: len(got.frames()) >= 3)
    assert all(f.weight == 900 and f.stable is False for f in got.frames())


def test_a_wrong_baud_gets_garbage_and_no_frame(wait_for: Callable) -> None:
    got = Collector()
    with IndicatorSimulator(lambda: (1560, False), period=0.01, protocol="cas",
                            baud=4800) as sim:
        with ScaleReader(sim.port, "cas", baudrate=9600, on_frame=got) as wrong:
            wait_for(lambda: wrong.stats().skipped_bytes > 200)
        assert not got.frames()
        with ScaleReader(sim.port, "cas", baudrate=4800, on_frame=got):
            wait_for(lambda: len(got.frames()) >= 3)


def test_7e1_line_read_as_7e1_or_8n1(wait_for: Callable) -> None:
    for bytesize, parity in ((7, "E"), (8, "N")):
        got = Collector()
        with IndicatorSimulator(lambda: (1560, False), period=0.01, protocol="sma",
                                parity_bit=True, unit="lb") as sim, \
                ScaleReader(sim.port, "sma", bytesize=bytesize, parity=parity, on_frame=got):
            wait_for(lambda: len(got.frames()) >= 3)
        assert {f.weight for f in got.frames()} == {Decimal(3439)}  # 1560 kg shown in lb


# --- fault profiles -------------------------------------------------------------------------

LOAD_KG, MARKER_KG = 24560, 24580


def _fault_run(protocol: str, inject: Callable[[IndicatorSimulator], None],
               wait_for: Callable, **sim_opts: object) -> tuple[Collector, ScaleReader]:
    # the fail-safe live settings: confirm=2 without a checksum; Keli's CR LF form must end
    # every frame with its line end (else a frame cut at the same place twice would pass)
    opts: dict[str, object] = {} if protocol in CHECKSUMMED else {"confirm": 2}
    if protocol == "keli":
        opts["line_end"] = True
    got = Collector()
    weight = [LOAD_KG]
    with IndicatorSimulator(lambda: (weight[0], False), period=0.005, protocol=protocol, seed=7,
                            **sim_opts) as sim, \
            ScaleReader(sim.port, protocol, protocol_options=opts, on_frame=got,
                        poll_period=0.005) as reader:  # polled ones (nci) as fast as streams
        wait_for(lambda: len(got.frames()) >= 3)
        inject(sim)
        wait_for(lambda: sim.pending_faults() == 0, timeout=30.0)  # all the damage went out
        assert any(d.delivered for d in sim.damage()), sim.damage()
        # Frames after the damage carry another weight: once the reader has one, it has read
        # past every damaged byte, however far behind a loaded machine let it fall.
        weight[0] = MARKER_KG
        wait_for(lambda: any(f.weight == MARKER_KG for f in got.frames()), timeout=30.0)
    return got, reader


@pytest.mark.parametrize("protocol", sorted(set(CODECS) - {"sics"}))
@pytest.mark.parametrize("kind", ["flip", "truncate", "glue", "corrupt"])
def test_damaged_frames_are_counted_and_never_a_wrong_weight(protocol: str, kind: str,
                                                             wait_for: Callable) -> None:
    got, reader = _fault_run(protocol, lambda sim: sim.fault(kind, 30), wait_for)
    assert {f.weight for f in got.frames()} == {Decimal(LOAD_KG), Decimal(MARKER_KG)}
    stats = reader.stats()
    assert stats.errors + stats.skipped_bytes > 0  # the damage was seen, not silently lost


@pytest.mark.parametrize("protocol", ["toledo", "yaohua", "cas", "sics", "nci", "yaohua-a12"])
def test_stall_then_recovery(protocol: str, wait_for: Callable) -> None:
    got = Collector()
    command = protocol in ALWAYS_POLLED
    with IndicatorSimulator(lambda: (3000, False), period=0.01, protocol=protocol,
                            command=command) as sim, \
            ScaleReader(sim.port, protocol, on_frame=got, frame_period=0.02,
                        poll_period=0.01) as reader:
        wait_for(lambda: reader.latest().known)
        sim.silence(0.3)
        wait_for(lambda: not reader.latest().known, timeout=1.0)  # unknown, not stale
        wait_for(lambda: reader.latest().known, timeout=2.0)
    assert {f.weight for f in got.frames()} == {Decimal(3000)}


def test_reboot_sends_power_up_frames_that_are_not_usable(wait_for: Callable) -> None:
    got = Collector()
    with IndicatorSimulator(lambda: (5000, False), period=0.01) as sim, \
            ScaleReader(sim.port, "toledo", on_frame=got, frame_period=0.02) as reader:
        wait_for(lambda: len(got.frames()) >= 3)
        sim.reboot(0.2, power_up_frames=5)
        wait_for(lambda: not reader.latest().known, timeout=1.0)
        wait_for(lambda: sum(f.power_up for f in got.frames()) >= 5)
        wait_for(lambda: reader.latest().known and reader.latest().frame.usable)
        # The reboot stays counted after its frames are gone: a lane that looks only now sees it.
        assert reader.latest().power_ups == 5 and not reader.latest().frame.power_up
    assert all(f.weight == 5000 for f in got.frames())
    assert not any(f.usable for f in got.frames() if f.power_up)


@pytest.mark.parametrize("protocol", ["toledo", "sics", "cas", "sma", "cardinal", "ricelake",
                                      "keli", "nci", "yaohua-a12", "sics-sir"])
def test_unit_change_is_followed_frame_by_frame(protocol: str, wait_for: Callable) -> None:
    got = Collector()
    with IndicatorSimulator(lambda: (2000, False), period=0.01, protocol=protocol) as sim, \
            ScaleReader(sim.port, protocol, on_frame=got, poll_period=0.01):
        wait_for(lambda: len(got.frames()) >= 3)
        sim.set_unit("lb")
        wait_for(lambda: any(f.unit == "lb" for f in got.frames()))
        wait_for(lambda: got.frames()[-1].unit == "lb" and len(got.frames()) > 8)
    # every frame is either 2000 kg or the same load in lb: never a kg number labelled lb
    assert {(f.weight, f.unit) for f in got.frames()} == {(Decimal(2000), "kg"),
                                                          (Decimal(4409), "lb")}


def test_noise_bursts_between_frames(wait_for: Callable) -> None:
    got, reader = _fault_run("ricelake", lambda sim: sim.inject_noise(2000), wait_for)
    assert {f.weight for f in got.frames()} == {Decimal(LOAD_KG), Decimal(MARKER_KG)}
    assert reader.stats().skipped_bytes >= 1000
