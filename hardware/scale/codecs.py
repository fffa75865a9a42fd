"""The registry of indicator decoders, by the protocol names DESIGN.md fixes.

Adding a protocol = one module with a decoder class satisfying ``Decoder`` plus one line in
``DECODERS``. Every factory accepts ``unit`` (a unit for frames that carry none, or an
override for clones that send a wrong one); other options are protocol-specific.
"""
from __future__ import annotations

from typing import Any, Callable, Protocol, runtime_checkable

from hardware.scale.frame import FrameError, WeightFrame
from hardware.scale.toledo import ToledoDecoder


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


DECODERS: dict[str, Callable[..., Decoder]] = {
    "toledo": _toledo,  # 18 bytes; checksum=False for the 17-byte format
    "toledo-short": _toledo_short,  # 12 bytes; checksum=False for the 11-byte format
}


def get_decoder(name: str, **opts: Any) -> Decoder:
    """A fresh decoder for ``name``. Raises UnknownProtocol, or TypeError/ValueError for
    options the protocol does not take or values it refuses."""
    try:
        factory = DECODERS[name]
    except KeyError:
        raise UnknownProtocol(name) from None
    return factory(**opts)
