"""The decoder registry: names from DESIGN.md, options, and a clear unknown-name error."""
from __future__ import annotations

import pytest

from hardware.scale.codecs import CODECS, Decoder, UnknownProtocol, get_decoder
from hardware.scale.frame import WeightFrame
from hardware.scale.toledo import ToledoDecoder, encode_toledo


def test_registry_names_are_the_design_names_plus_the_reference_extras() -> None:
    design = {"toledo", "toledo-short", "sics", "yaohua", "yaohua-eq", "keli", "cas", "sma",
              "cardinal", "ricelake"}
    # reference §3.3 (A12(E) frame), §11 (NCI) and §2.1 (MT-SICS SIR), beyond DESIGN.md's list
    assert set(CODECS) == design | {"yaohua-a12", "nci", "sics-sir"}


@pytest.mark.parametrize("name", sorted(CODECS))
def test_every_decoder_takes_a_unit_and_refuses_a_bad_one(name: str) -> None:
    assert isinstance(get_decoder(name, unit="kg"), Decoder)
    with pytest.raises(ValueError):
        get_decoder(name, unit="oz")


@pytest.mark.parametrize(
    ("name", "opts", "length"),
    [("toledo", {}, 18), ("toledo", {"checksum": False}, 17),
     ("toledo-short", {}, 12), ("toledo-short", {"checksum": False}, 11)],
)
def test_each_name_and_option_selects_the_frame_length(name: str, opts: dict, length: int) -> None:
    decoder = get_decoder(name, **opts)
    assert isinstance(decoder, ToledoDecoder) and decoder.length == length
    assert isinstance(decoder, Decoder)  # satisfies the Protocol
    frame = encode_toledo(77, checksum=opts.get("checksum", True), short=name == "toledo-short")
    (item,) = decoder.feed(frame)
    assert isinstance(item, WeightFrame) and item.weight == 77


def test_unit_option_overrides_the_frame_unit() -> None:
    (item,) = get_decoder("toledo", unit="t").feed(encode_toledo(12))
    assert isinstance(item, WeightFrame) and item.unit == "t"


def test_unknown_protocol_lists_the_valid_names() -> None:
    with pytest.raises(UnknownProtocol) as info:
        get_decoder("toldeo")
    message = str(info.value)
    assert "'toldeo'" in message
    assert all(name in message for name in CODECS)
    assert isinstance(info.value, ValueError)


def test_unknown_option_is_refused() -> None:
    with pytest.raises(TypeError):
        get_decoder("toledo", baud=9600)


def test_each_call_returns_a_fresh_decoder() -> None:
    assert get_decoder("toledo") is not get_decoder("toledo")
