"""Reference scale-protocols.md §3.3 (Yaohua XK3190-A12(E), vectors A1-A3), §11 (NCI, vector
N1) and §2.1 (MT-SICS SIR), one test per vector ID, through the registry's decoders."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from hardware.scale import nci, sics, yaohua_a12
from hardware.scale.codecs import get_decoder
from hardware.scale.frame import FrameError, WeightFrame
from hardware.scale.state import IndicatorState

Item = WeightFrame | FrameError


def decode(protocol: str, data: bytes) -> list[Item]:
    decoder = get_decoder(protocol)
    return decoder.feed(data) + decoder.flush()


def one(protocol: str, data: bytes) -> Item:
    items = decode(protocol, data)
    assert len(items) == 1, items
    return items[0]


# --- Yaohua XK3190-A12(E) (§3.3) ------------------------------------------------------------

def test_A1() -> None:
    frame = bytes.fromhex("57 47 30 30 34 2E 31 33 39 6B 67 33 44 0D 0A")
    item = one("yaohua-a12", frame)
    assert isinstance(item, WeightFrame)
    assert (str(item.weight), item.unit, item.stable, item.net) == ("4.139", "kg", None, False)
    assert yaohua_a12.encode_frame(Decimal("4.139")) == frame  # XOR 0x3D, not a sum (0xCF)


def test_A2() -> None:
    frame = bytes.fromhex("20" * 9 + "4F 4C 32 33 0D 0A")
    item = one("yaohua-a12", frame)
    assert isinstance(item, FrameError) and "overload" in item.error  # never a 0
    assert yaohua_a12.encode(IndicatorState(Decimal(0), overload=True)) == frame


def test_A3() -> None:
    frame = bytes.fromhex("20" * 9 + "4C 4F 32 33 0D 0A")
    item = one("yaohua-a12", frame)
    assert isinstance(item, FrameError) and "underload" in item.error
    assert yaohua_a12.encode(IndicatorState(Decimal(0), underload=True)) == frame


def test_a12_net_negative_and_no_decimal_point_forms() -> None:
    for weight, net, text in ((Decimal(1560), False, b"WG001560 kg"),
                              (Decimal(-120), True, b"WN-00120 kg"),
                              (Decimal("-1.5"), False, b"WG-0001.5kg")):
        frame = yaohua_a12.encode_frame(weight, net=net)
        assert frame.startswith(text)
        item = one("yaohua-a12", frame)
        assert isinstance(item, WeightFrame) and (item.weight, item.net) == (weight, net)


def test_a12_bad_xor_garbage_and_cut_frames() -> None:
    good = b"WG004.139kg3D\r\n"
    bad = one("yaohua-a12", b"WG004.138kg3D\r\n")
    assert isinstance(bad, FrameError) and "checksum" in bad.error
    decoder = get_decoder("yaohua-a12")
    items = decoder.feed(b"\x00\xffjunk" + good + b"WG004.1" + b"\r\n" + good)
    assert [i.weight for i in items if isinstance(i, WeightFrame)] == [Decimal("4.139")] * 2
    assert decoder.errors == 0 and decoder.skipped_bytes == 6 + 9


def test_a12_lower_case_variant_quoted_frames() -> None:
    """§3.3: MCUSH driver's demo lines and ilwk/weighbridge-reader's captured frame."""
    decoder = get_decoder("yaohua-a12", lower=True)
    items = decoder.feed(b"ww000.000lb\r\nwn-0000.1kg\r\nwt000.000kg\r\nwn 0002.02kg\r\n"
                         b"wn 00?2.02kg\r\n")
    frames = [(str(i.weight), i.unit, i.net) for i in items if isinstance(i, WeightFrame)]
    assert frames == [("0.000", "lb", False), ("-0.1", "kg", True), ("2.02", "kg", True)]
    assert [i.error for i in items if isinstance(i, FrameError)] == ["bad A12 lower-case line"]
    assert decoder.skipped_bytes == len(b"wt000.000kg\r\n")  # a tare display is no weight


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200), st.integers(1, 40))
def test_a12_lower_case_random_bytes_and_chunking(data: bytes, chunk: int) -> None:
    stream = b"wn 0002.02kg\r\n" + data + b"\nww001560kg\r\n"
    whole = get_decoder("yaohua-a12", lower=True)
    expected = whole.feed(stream) + whole.flush()
    split = get_decoder("yaohua-a12", lower=True)
    got = [i for n in range(0, len(stream), chunk) for i in split.feed(stream[n:n + chunk])]
    assert got + split.flush() == expected
    assert expected[-1] == WeightFrame(Decimal(1560), "kg", None, False, None, False, False)


# --- NCI (§11) ------------------------------------------------------------------------------

def test_N1() -> None:
    reply = bytes.fromhex("0A 30 30 31 32 2E 33 34 6C 62 0D 0A 30 30 0D 03")
    item = one("nci", reply)
    assert isinstance(item, WeightFrame)
    assert (str(item.weight), item.unit, item.stable, item.net) == ("12.34", "lb", True, False)
    assert item.usable
    assert get_decoder("nci").request == bytes.fromhex("57 0D")  # the host side of N1
    assert nci.encode(IndicatorState(Decimal("12.34"), unit="lb")) == reply


@pytest.mark.parametrize(("reply", "why"), [
    (b"\n^^^^.^^lb\r\n02\r\x03", "over capacity"),
    (b"\n____.__lb\r\n01\r\x03", "under capacity"),
    (b"\n----.--lb\r\n00\r\x03", "zero error"),
    (b"\n10\r\x03", "in motion"),                    # Ohaus: status only, no weight
    (b"\n12\r\x03", "over capacity"),
    (b"\n0012.34lb\r\n40\r\x03", "RAM error"),
    (b"\n0012.34lb\r\n04\r\x03", "ROM error"),
    (b"\n0012.34lb\r\n08\r\x03", "faulty calibration"),
    (b"\n?\r\x03", "not understood"),
])
def test_nci_replies_without_a_weight_are_refused(reply: bytes, why: str) -> None:
    item = one("nci", reply)
    assert isinstance(item, FrameError) and why in item.error, item


def test_nci_status_bits_motion_net_and_ohaus_form() -> None:
    moving = one("nci", b"\n0012.34lb\r\n10\r\x03")
    assert isinstance(moving, WeightFrame) and moving.stable is False
    net = one("nci", b"\n0100.0kg\r\n0p4\r\x03")  # byte 2 bit 6 announces byte 3; bit 2 = net
    assert isinstance(net, WeightFrame) and net.net and net.weight == Decimal("100.0")
    ohaus = one("nci", b"\n  12.34 KG\r\nS00\r\x03")  # status prefixed with S, units upper-case
    assert isinstance(ohaus, WeightFrame) and (ohaus.weight, ohaus.unit) == (Decimal("12.34"), "kg")


def test_nci_responder_answers_w_s_z_and_unknown() -> None:
    scale = nci.NciResponder()
    state = IndicatorState(Decimal("12.34"), unit="lb")
    assert scale.feed(b"W\r", state) == b"\n0012.34lb\r\n00\r\x03"
    assert scale.feed(b"S\r", state) == b"\n00\r\x03"
    assert scale.feed(b"Z\r", state) == b"\n20\r\x03"  # at zero
    assert scale.feed(b"X\r", state) == b"\n?\r\x03"


# --- MT-SICS SIR (§2.1) ----------------------------------------------------------------------

def test_sir_is_one_request_then_a_stream_until_another_command() -> None:
    decoder = get_decoder("sics-sir")
    assert decoder.request is None and decoder.start_request == b"SIR\r\n"
    scale = sics.SicsResponder()
    moving = IndicatorState(Decimal("4.08"), motion=True)
    first = scale.feed(b"SIR\r\n", moving)
    assert scale.streaming and first == b"S D       4.08 kg\r\n"
    # the stream, as the simulator repeats it, then @ ends it; lines after the cancel still decode
    stream = first + sics.encode(IndicatorState(Decimal("4.08"))) * 2
    assert scale.feed(b"@\r\n", moving).startswith(b"@ A ") and not scale.streaming
    frames = decoder.feed(stream)
    assert [(str(f.weight), f.stable) for f in frames] == [("4.08", False), ("4.08", True),
                                                           ("4.08", True)]
