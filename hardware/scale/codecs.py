"""The registry of indicator codecs, by the protocol names DESIGN.md fixes.

Adding a protocol = one module with a decoder class satisfying ``Decoder`` and an encoder,
plus one entry in ``CODECS``. Every decoder factory accepts ``unit`` (the unit for frames
that carry none, or an override for clones that send a wrong one) and, for protocols
without a checksum, ``confirm`` (N identical frames before one is passed on). Command
protocols expose ``request``: the bytes a reader sends to get one reading.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol, runtime_checkable

from hardware.scale import (
    cardinal, cas, keli, nci, ricelake, sics, sma, yaohua, yaohua_a12, yaohua_eq,
)
from hardware.scale.frame import FrameError, WeightFrame
from hardware.scale.state import IndicatorState
from hardware.scale.toledo import ToledoDecoder, encode_toledo


@runtime_checkable
class Decoder(Protocol):
    """An incremental frame decoder. Counters are cumulative since construction."""

    skipped_bytes: int
    frames: int
    errors: int

    def feed(self, data: bytes) -> list[WeightFrame | FrameError]:
        """Consume bytes; return the frames (and refused frames) they completed."""
        ...

    def flush(self) -> list[WeightFrame | FrameError]:
        """End of stream: settle held bytes (a partial frame counts as skipped)."""
        ...


class Responder(Protocol):
    """The indicator side of a command protocol (used by the simulator)."""

    def feed(self, data: bytes, state: IndicatorState) -> bytes:
        """Bytes received from the host -> the replies to every complete request."""
        ...


class UnknownProtocol(ValueError):
    """Raised for a protocol name that is not in the registry."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown protocol {name!r}; valid: {', '.join(sorted(DECODERS))}")


def _toledo(*, checksum: bool = True, unit: str | None = None) -> ToledoDecoder:
    # Toledo frames carry lb/kg/g; `unit` is an override for clones that misreport it.
    return ToledoDecoder(checksum=checksum, short=False, unit_override=unit)


def _toledo_short(*, checksum: bool = True, unit: str | None = None) -> ToledoDecoder:
    return ToledoDecoder(checksum=checksum, short=True, unit_override=unit)


def _keli(*, command: bool = False, address: str = "A", unit: str | None = None,
          line_end: bool = False, confirm: int = 1) -> Decoder:
    if command:  # XK3118K9 command mode is the Yaohua one, reply checksum included
        return yaohua.YaohuaDecoder(unit=unit, command=True, address=address)
    return keli.KeliDecoder(unit=unit, line_end=line_end, confirm=confirm)


def _sics_sir(*, unit: str | None = None, confirm: int = 1) -> Decoder:
    return sics.SicsDecoder(unit=unit, confirm=confirm, repeat=True)


def _encode_toledo(state: IndicatorState, short: bool) -> bytes:
    return encode_toledo(
        state.weight if not state.underload else -abs(state.weight), unit=state.unit,
        dp_code=2 + state.decimals, net=state.net, tare=None if short else state.tare,
        motion=state.motion, overload=state.overload or state.underload,
        power_up=state.power_up, short=short)


@dataclass(frozen=True)
class Codec:
    """Everything the reader, simulator and detector need to know about one protocol."""

    decoder: Callable[..., Decoder]
    encode: Callable[[IndicatorState], bytes]  # one continuous frame for a state
    checksum: bool  # frames carry a check; else live reading should use confirm
    responder: Callable[[], Responder] | None = None  # command protocols
    command_options: tuple[tuple[str, Any], ...] = ()  # decoder options for command mode
    units: tuple[str, ...] = ("kg", "t", "lb", "g")  # units a frame can carry


CODECS: dict[str, Codec] = {
    "toledo": Codec(_toledo, lambda s: _encode_toledo(s, False), True, units=("kg", "lb", "g")),
    "toledo-short": Codec(_toledo_short, lambda s: _encode_toledo(s, True), True,
                          units=("kg", "lb", "g")),
    "sics": Codec(sics.SicsDecoder, sics.encode, False, sics.SicsResponder),
    # Yaohua frames carry no unit: it is the decoder's `unit` option (default kg)
    "yaohua": Codec(yaohua.YaohuaDecoder, yaohua.encode, True, yaohua.YaohuaResponder,
                    (("command", True),), units=("kg",)),
    "yaohua-eq": Codec(yaohua_eq.YaohuaEqDecoder, yaohua_eq.encode, False, units=("kg",)),
    "keli": Codec(_keli, keli.encode, False, yaohua.YaohuaResponder, (("command", True),)),
    "cas": Codec(cas.CasDecoder, cas.encode, False),
    "sma": Codec(sma.SmaDecoder, sma.encode, False, sma.SmaResponder, (("poll", True),)),
    "cardinal": Codec(cardinal.CardinalDecoder, cardinal.encode, False),
    "ricelake": Codec(ricelake.RiceLakeDecoder, ricelake.encode, False, units=("kg", "lb", "g")),
    # Beyond DESIGN.md's ten: the reference's A12(E) 15-byte frame (§3.3), the NCI standard
    # protocol (§11, polled) and MT-SICS SIR (§2.1: one request, then a stream of S lines).
    "yaohua-a12": Codec(yaohua_a12.YaohuaA12Decoder, yaohua_a12.encode, True, units=("kg", "lb")),
    "nci": Codec(nci.NciDecoder, nci.encode, False, nci.NciResponder, units=("kg", "lb", "g", "t")),
    "sics-sir": Codec(_sics_sir, sics.encode, False, sics.SicsResponder),
}

DECODERS: dict[str, Callable[..., Decoder]] = {name: c.decoder for name, c in CODECS.items()}

# MT-SICS and NCI only answer requests (SIR streams, but only once asked): always a responder.
ALWAYS_POLLED = frozenset({"sics", "sics-sir", "nci"})


def get_codec(name: str) -> Codec:
    try:
        return CODECS[name]
    except KeyError:
        raise UnknownProtocol(name) from None


def get_decoder(name: str, **opts: Any) -> Decoder:
    """A fresh decoder for ``name``. Raises UnknownProtocol, or TypeError/ValueError for
    options the protocol does not take or values it refuses."""
    return get_codec(name).decoder(**opts)
