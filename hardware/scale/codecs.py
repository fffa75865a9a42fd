"""The registry of indicator codecs, by the protocol names DESIGN.md fixes.

Every fact about a protocol that the rest of the system needs lives in its ``Codec`` row
here: name, decoder, simulator encoder (with and without its check), checksum, whether and
how it is polled, and what ``scale detect`` does with it. Config validation, ``detect``, the
gate, the CLI and the simulator read these rows and never test a protocol's name.

Adding a protocol = one module (a decoder satisfying ``Decoder``, an encoder, a responder
if it is polled) plus one row in ``CODECS``. Every decoder factory accepts ``unit`` (the
unit for frames that carry none, or an override for clones that send a wrong one) and, for
protocols without a checksum, ``confirm`` (N identical frames before one is passed on).
Polled protocols' decoders expose ``request``: the bytes a reader sends to get one reading.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Literal, Protocol, runtime_checkable

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
        super().__init__(f"unknown protocol {name!r}; valid: {', '.join(sorted(CODECS))}")


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


def _encode_toledo(state: IndicatorState, short: bool, checksum: bool = True) -> bytes:
    return encode_toledo(
        state.weight if not state.underload else -abs(state.weight), unit=state.unit,
        dp_code=2 + state.decimals, net=state.net, tare=None if short else state.tare,
        motion=state.motion, overload=state.overload or state.underload,
        power_up=state.power_up, checksum=checksum, short=short)


def _break_toledo(frame: bytes) -> bytes:
    return frame[:-1] + bytes([(frame[-1] + 1) & 0x7F])  # the checksum byte, off by one


def _break_yaohua(frame: bytes) -> bytes:
    return frame[:-2] + b"G" + frame[-1:]  # not a hex digit: the XOR check cannot pass


Polling = Literal["never", "optional", "always"]


@dataclass(frozen=True)
class Codec:
    """Everything the config, reader, gate, simulator and detector know about one protocol."""

    name: str
    decoder: Callable[..., Decoder]
    encode: Callable[[IndicatorState], bytes]  # one frame for a state, its check included
    checksum: bool  # frames carry a check; else live reading should use confirm
    responder: Callable[[], Responder] | None = None  # the indicator side of polling
    # never: streams unasked; optional: `command_options` turn polling on; always: only answers
    polling: Polling = "never"
    command_options: tuple[tuple[str, Any], ...] = ()  # decoder options for command mode
    units: tuple[str, ...] = ("kg", "t", "lb", "g")  # units a frame can carry
    # The frame without its check, where the check is optional: the decoder then takes
    # `checksum=False` (Toledo's 17/11-byte formats).
    plain_encode: Callable[[IndicatorState], bytes] | None = None
    break_check: Callable[[bytes], bytes] | None = None  # simulator: make the check fail
    detect_listen: bool = True  # `scale detect` scores it on bytes heard unasked
    detect_ask: tuple[tuple[str, Any], ...] | None = None  # decoder options to poll it with

    def __post_init__(self) -> None:
        if self.polling != "never" and self.responder is None:
            raise ValueError(f"{self.name}: a polled protocol needs a responder")
        if (self.polling == "optional") != bool(self.command_options):
            raise ValueError(f"{self.name}: command options go with polling='optional'")

    @property
    def checksum_optional(self) -> bool:
        return self.plain_encode is not None

    def polled(self, command: bool) -> bool:
        """Whether a reader of this protocol asks for every reading."""
        return self.polling == "always" or (command and self.polling == "optional")


def _table(*codecs: Codec) -> dict[str, Codec]:
    return {codec.name: codec for codec in codecs}


_TOLEDO_UNITS = ("kg", "lb", "g")
CODECS: dict[str, Codec] = _table(
    Codec("toledo", _toledo, lambda s: _encode_toledo(s, False), True, units=_TOLEDO_UNITS,
          plain_encode=lambda s: _encode_toledo(s, False, False), break_check=_break_toledo),
    Codec("toledo-short", _toledo_short, lambda s: _encode_toledo(s, True), True,
          units=_TOLEDO_UNITS, plain_encode=lambda s: _encode_toledo(s, True, False),
          break_check=_break_toledo),
    # MT-SICS only answers requests; an SIR stream someone else started is heard as sics-sir.
    Codec("sics", sics.SicsDecoder, sics.encode, False, sics.SicsResponder, "always",
          detect_listen=False, detect_ask=()),
    # Yaohua frames carry no unit: it is the decoder's `unit` option (default kg)
    Codec("yaohua", yaohua.YaohuaDecoder, yaohua.encode, True, yaohua.YaohuaResponder,
          "optional", (("command", True),), units=("kg",), break_check=_break_yaohua,
          detect_ask=(("command", True),)),
    Codec("yaohua-eq", yaohua_eq.YaohuaEqDecoder, yaohua_eq.encode, False, units=("kg",)),
    Codec("keli", _keli, keli.encode, False, yaohua.YaohuaResponder, "optional",
          (("command", True),)),
    Codec("cas", cas.CasDecoder, cas.encode, False),
    Codec("sma", sma.SmaDecoder, sma.encode, False, sma.SmaResponder, "optional",
          (("poll", True),), detect_ask=(("poll", True),)),
    Codec("cardinal", cardinal.CardinalDecoder, cardinal.encode, False),
    Codec("ricelake", ricelake.RiceLakeDecoder, ricelake.encode, False, units=_TOLEDO_UNITS),
    # Beyond DESIGN.md's ten: the reference's A12(E) 15-byte frame (§3.3), the NCI standard
    # protocol (§11, polled) and MT-SICS SIR (§2.1: one request, then a stream of S lines).
    Codec("yaohua-a12", yaohua_a12.YaohuaA12Decoder, yaohua_a12.encode, True,
          units=("kg", "lb")),
    Codec("nci", nci.NciDecoder, nci.encode, False, nci.NciResponder, "always",
          units=("kg", "lb", "g", "t"), detect_listen=False, detect_ask=()),
    Codec("sics-sir", _sics_sir, sics.encode, False, sics.SicsResponder, "always"),
)


def get_codec(name: str) -> Codec:
    try:
        return CODECS[name]
    except KeyError:
        raise UnknownProtocol(name) from None


def get_decoder(name: str, **opts: Any) -> Decoder:
    """A fresh decoder for ``name``. Raises UnknownProtocol, or TypeError/ValueError for
    options the protocol does not take or values it refuses."""
    return get_codec(name).decoder(**opts)

# Views of the registry (not hand-kept lists): protocols that only ever answer requests.
ALWAYS_POLLED = frozenset(name for name, codec in CODECS.items() if codec.polling == "always")
