"""Toledo continuous: the reference vectors T1..T5 (scale-protocols.md §1.4), status words,
checksum, parity masking, field validation and the encoder, frame by frame."""
from __future__ import annotations

from decimal import Decimal

import pytest

from hardware.scale.frame import FrameError, WeightFrame
from hardware.scale.toledo import (
    ToledoDecoder,
    checksum_of,
    decode_frame,
    decode_status,
    encode_toledo,
    frame_length,
)

T1 = bytes.fromhex("02 31 20 20 20 20 20 32 30 30 20 20 20 20 20 20 0D")
T2 = bytes.fromhex("02 2A 30 20 30 30 31 35 36 30 30 30 30 30 30 30 0D 2B")
T3 = bytes.fromhex("02 2A 3A 20 30 30 30 30 34 30 30 30 30 30 30 30 0D 29")
T4 = bytes.fromhex("02 2C 31 20 30 30 32 33 35 30 30 30 31 32 30 30 0D 27")
T5 = bytes.fromhex("02 2A 34 20 30 30 30 30 30 30 30 30 30 30 30 30 0D 33")


def only(items: list[WeightFrame | FrameError]) -> WeightFrame | FrameError:
    assert len(items) == 1, items
    return items[0]


def good(data: bytes, **opts: object) -> WeightFrame:
    item = only(ToledoDecoder(**opts).feed(data))  # type: ignore[arg-type]
    assert isinstance(item, WeightFrame), item
    return item


def test_T1_jaguar_17_bytes_spaces_times_ten_lb() -> None:
    frame = good(T1, checksum=False)
    # SWA code 1: one fixed zero, so digits "   200" display 2000 lb (not 200).
    assert frame == WeightFrame(weight=Decimal(2000), unit="lb", stable=True, net=False,
                                tare=None, overload=False, underload=False)
    assert decode_status(T1[1], T1[2], T1[3]).count_by == 2


def test_T2_gross_1560_kg_tare_zero() -> None:
    assert good(T2) == WeightFrame(weight=Decimal(1560), unit="kg", stable=True, net=False,
                                   tare=Decimal(0), overload=False, underload=False)


def test_T3_negative_40_kg_in_motion() -> None:
    frame = good(T3)
    assert (frame.weight, frame.unit, frame.stable) == (Decimal(-40), "kg", False)
    assert not (frame.overload or frame.underload)


def test_T4_net_23_50_tare_12_00() -> None:
    frame = good(T4)
    assert frame.net is True
    assert frame.weight == Decimal("23.50") and str(frame.weight) == "23.50"
    assert frame.tare == Decimal("12.00")
    assert frame.to_json()["weight"] == 23.5


def test_T5_out_of_range_positive_is_overload_and_unusable() -> None:
    frame = good(T5)
    assert frame.overload is True and frame.underload is False
    assert frame.usable is False


@pytest.mark.parametrize("vector", [T2, T3, T4, T5], ids=["T2", "T3", "T4", "T5"])
def test_reference_checksums_hold(vector: bytes) -> None:
    assert sum(vector) & 0x7F == 0
    assert checksum_of(vector[:17]) == vector[17]


def test_encoder_reproduces_every_reference_vector() -> None:
    assert encode_toledo(2000, unit="lb", dp_code=1, count_by=2, tare=None, pad=" ",
                         checksum=False) == T1
    assert encode_toledo(1560) == T2
    assert encode_toledo(-40, motion=True) == T3
    assert encode_toledo(Decimal("23.50"), dp_code=4, net=True, tare=Decimal("12.00")) == T4
    assert encode_toledo(0, overload=True) == T5


def test_checksum_is_a_sum_not_an_xor() -> None:
    # For T2 an XOR of bytes 1..17 differs from the transmitted 0x2B; a sum-based check passes.
    xor = 0
    for b in T2[:17]:
        xor ^= b
    assert xor != T2[17]
    assert isinstance(decode_frame(T2), WeightFrame)


def test_bad_checksum_is_a_frame_error_naming_both_values() -> None:
    bad = T2[:17] + bytes([0x2C])
    item = decode_frame(bad)
    assert isinstance(item, FrameError)
    assert item.error == "bad checksum 0x2C, expected 0x2B"
    assert item.raw == bad


@pytest.mark.parametrize("index", range(1, 17))
def test_any_single_byte_change_breaks_the_checksum(index: int) -> None:
    mutated = bytearray(T2)
    mutated[index] = (mutated[index] + 1) & 0x7F
    assert not isinstance(decode_frame(bytes(mutated)), WeightFrame)


def _even_parity(data: bytes) -> bytes:
    return bytes(b | 0x80 if bin(b).count("1") % 2 else b for b in data)


def test_7e1_parity_bits_are_masked_on_every_byte() -> None:
    with_parity = _even_parity(T4)
    assert any(b & 0x80 for b in with_parity[4:16]), "vector must exercise digit bytes"
    assert with_parity[0] == 0x82  # STX 0x02 has one bit set: parity adds bit 7
    assert good(with_parity) == good(T4)


def test_checksum_is_blind_to_parity_bits() -> None:
    assert checksum_of(_even_parity(T2[:17])) == 0x2B


def test_parity_bit_on_stx_cr_and_checksum_is_masked_too() -> None:
    all_high = bytes(b | 0x80 for b in T2)
    assert good(all_high) == good(T2)


# digits "001234" under each SWA decimal-point code, values written out by hand
DP_CASES = [
    (0, Decimal("123400")),
    (1, Decimal("12340")),
    (2, Decimal("1234")),
    (3, Decimal("123.4")),
    (4, Decimal("12.34")),
    (5, Decimal("1.234")),
    (6, Decimal("0.1234")),
    (7, Decimal("0.01234")),
]


@pytest.mark.parametrize(("code", "expected"), DP_CASES)
def test_every_swa_decimal_point_code(code: int, expected: Decimal) -> None:
    body = bytes([0x02, 0x28 | code, 0x30, 0x20]) + b"001234" + b"000000" + b"\r"
    frame = good(body + bytes([checksum_of(body)]))
    assert frame.weight == expected
    assert frame.tare == 0


@pytest.mark.parametrize(("bits", "count_by"), [(0b01, 1), (0b10, 2), (0b11, 5), (0b00, None)])
def test_swa_count_by(bits: int, count_by: int | None) -> None:
    assert decode_status(0x20 | bits << 3 | 2, 0x30, 0x20).count_by == count_by


@pytest.mark.parametrize("count_by", [1, 2, 5])
def test_encoder_count_by_roundtrips(count_by: int) -> None:
    frame = encode_toledo(100, count_by=count_by)
    assert decode_status(frame[1], frame[2], frame[3]).count_by == count_by


def test_swb_bits() -> None:
    s = decode_status(0x2A, 0x20 | 0x01 | 0x02 | 0x04 | 0x08 | 0x10 | 0x40, 0x20)
    assert (s.net, s.negative, s.out_of_range, s.motion, s.kg, s.power_up) == (True,) * 6
    s = decode_status(0x2A, 0x20, 0x20)
    assert (s.net, s.negative, s.out_of_range, s.motion, s.kg, s.power_up) == (False,) * 6


def test_out_of_range_with_negative_sign_is_underload() -> None:
    frame = good(encode_toledo(-5, overload=True))
    assert (frame.overload, frame.underload, frame.usable) == (False, True, False)


def test_power_up_bit_makes_the_frame_unusable() -> None:
    frame = good(encode_toledo(0, power_up=True))
    assert frame.power_up is True and frame.usable is False


def test_swc_bit0_means_grams() -> None:
    assert good(encode_toledo(500, unit="g")).unit == "g"


def test_unit_override_for_clones_with_a_constant_unit_bit() -> None:
    lb_frame = encode_toledo(500, unit="lb")
    assert good(lb_frame).unit == "lb"
    assert good(lb_frame, unit_override="kg").unit == "kg"


def test_unit_override_must_be_a_known_unit() -> None:
    with pytest.raises(ValueError, match="unit must be one of"):
        ToledoDecoder(unit_override="stone")


def test_all_spaces_tare_means_no_tare_but_zeros_mean_zero() -> None:
    assert good(encode_toledo(10, tare=None)).tare is None
    assert good(encode_toledo(10, tare=0)).tare == Decimal(0)


@pytest.mark.parametrize(
    ("weight_field", "tare_field", "why"),
    [
        (b"      ", b"000000", "bad weight field"),  # blank display is not a zero
        (b"12 345", b"000000", "bad weight field"),  # spaces only as leading padding
        (b"-00040", b"000000", "bad weight field"),  # the sign lives in SWB only
        (b"00012 ", b"000000", "bad weight field"),
        (b"0001.5", b"000000", "bad weight field"),
        (b"000100", b"00A000", "bad tare field"),
        (b"000100", b" 0 0  ", "bad tare field"),
    ],
)
def test_bad_digit_fields_are_frame_errors_never_weights(
    weight_field: bytes, tare_field: bytes, why: str
) -> None:
    body = b"\x02\x2a\x30\x20" + weight_field + tare_field + b"\r"
    item = only(ToledoDecoder().feed(body + bytes([checksum_of(body)])))
    assert isinstance(item, FrameError)
    assert item.error.startswith(why)


def test_leading_spaces_are_padding() -> None:
    body = b"\x02\x2a\x30\x20" + b"   200" + b"     0" + b"\r"
    frame = good(body + bytes([checksum_of(body)]))
    assert (frame.weight, frame.tare) == (Decimal(200), Decimal(0))


@pytest.mark.parametrize(("checksum", "short", "length"),
                         [(True, False, 18), (False, False, 17),
                          (True, True, 12), (False, True, 11)])
def test_the_four_frame_lengths(checksum: bool, short: bool, length: int) -> None:
    assert frame_length(checksum=checksum, short=short) == length
    data = encode_toledo(4321, motion=True, checksum=checksum, short=short)
    assert len(data) == length
    frame = good(data, checksum=checksum, short=short)
    assert (frame.weight, frame.stable, frame.tare) == (Decimal(4321), False, None if short else 0)


def test_short_frame_layout_is_stx_status_digits_cr_checksum() -> None:
    data = encode_toledo(1560, short=True)
    assert data[:11] == b"\x02\x2a\x30\x20001560\r"
    assert sum(data) & 0x7F == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weight": Decimal("1.5")}, "not representable"),
        ({"weight": 1_000_000}, "does not fit"),
        ({"weight": 10, "unit": "t"}, "kg, lb or g"),
        ({"weight": 10, "dp_code": 8}, "dp_code"),
        ({"weight": 10, "count_by": 3}, "count_by"),
        ({"weight": 10, "short": True, "tare": 5}, "no tare"),
        ({"weight": 10, "tare": -5}, "does not fit"),
    ],
)
def test_encoder_refuses_what_the_frame_cannot_carry(kwargs: dict, message: str) -> None:
    weight = kwargs.pop("weight")
    with pytest.raises(ValueError, match=message):
        encode_toledo(weight, **kwargs)
