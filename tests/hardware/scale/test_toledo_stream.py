"""Toledo continuous as a byte stream: resync, refused frames, chunking, byte accounting.
Hand-written cases first, then hypothesis properties."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.scale.frame import FrameError, Unit, WeightFrame
from hardware.scale.toledo import (
    ToledoDecoder,
    checksum_of,
    encode_toledo,
    frame_length,
    scale_digits,
)

Item = WeightFrame | FrameError


def weights(items: list[Item]) -> list[Decimal | str]:
    return [i.weight if isinstance(i, WeightFrame) else "ERR" for i in items]


def test_garbage_before_between_and_after_frames_is_skipped_and_counted() -> None:
    d = ToledoDecoder()
    data = b"\x00\x00xx" + encode_toledo(100) + b"\r\n\x02\x02" + encode_toledo(200) + b"zz"
    assert weights(d.feed(data)) == [100, 200]
    assert (d.frames, d.errors, d.skipped_bytes) == (2, 0, 10)


def test_bad_checksum_is_an_error_and_the_next_good_frame_still_decodes() -> None:
    bad = bytearray(encode_toledo(100))
    bad[-1] ^= 0x01
    d = ToledoDecoder()
    items = d.feed(bytes(bad) + encode_toledo(200))
    assert weights(items) == ["ERR", 200]
    assert isinstance(items[0], FrameError) and "checksum" in items[0].error
    # the bad frame's STX is the error; its other 17 bytes are rescanned and skipped
    assert (d.frames, d.errors, d.skipped_bytes) == (1, 1, 17)


def test_truncated_frame_glued_to_a_real_frame() -> None:
    # the cut frame's STX is not frame-shaped (no CR at offset 16): skip one byte, go on
    d = ToledoDecoder()
    assert weights(d.feed(encode_toledo(777)[:9] + encode_toledo(3000))) == [3000]
    assert d.skipped_bytes == 9


def test_real_frame_starting_inside_a_refused_frame_is_not_lost() -> None:
    # A frame that lost its checksum byte, glued to a real one: the candidate takes the real
    # STX as its checksum and fails. Consuming all 18 bytes would lose the real frame.
    missing = encode_toledo(500, checksum=False)
    assert checksum_of(missing) != 0x02  # else the candidate would (rightly) pass
    d = ToledoDecoder()
    assert weights(d.feed(missing + encode_toledo(600))) == ["ERR", 600]


def test_bad_digits_then_a_good_frame() -> None:
    body = b"\x02\x2a\x30\x20" + b"1A3456" + b"000000" + b"\r"
    d = ToledoDecoder()
    assert weights(d.feed(body + bytes([checksum_of(body)]) + encode_toledo(42))) == ["ERR", 42]


def test_checksum_byte_equal_to_stx_does_not_split_frames() -> None:
    # find a weight whose checksum byte is 0x02: a parser that guesses frame ends from the
    # next STX would cut here
    weight = next(w for w in range(999_998, 0, -1) if encode_toledo(w)[-1] == 0x02)
    stream = encode_toledo(weight) + encode_toledo(weight - 1)
    d = ToledoDecoder()
    assert weights(d.feed(stream)) == [weight, weight - 1]
    assert d.skipped_bytes == 0


def test_partial_frame_is_held_until_complete() -> None:
    data = encode_toledo(555)
    d = ToledoDecoder()
    assert d.feed(data[:10]) == []
    assert d.pending == 10
    assert weights(d.feed(data[10:])) == [555]
    assert d.pending == 0


def test_flush_counts_a_truncated_tail_as_skipped_not_as_a_frame() -> None:
    d = ToledoDecoder()
    d.feed(encode_toledo(555)[:12])
    assert d.flush() == []
    assert (d.frames, d.errors, d.skipped_bytes, d.pending) == (0, 0, 12, 0)


def test_17_byte_stream_read_as_18_bytes_never_yields_a_wrong_weight() -> None:
    stream = b"".join(encode_toledo(w, checksum=False) for w in (1000, 1010, 1020, 1030))
    items = ToledoDecoder(checksum=True).feed(stream)
    assert all(isinstance(i, FrameError) or i.weight in (1000, 1010, 1020) for i in items)
    assert any(isinstance(i, FrameError) for i in items)


def test_status_byte_without_bit_5_is_not_a_frame() -> None:
    body = bytearray(encode_toledo(100))
    body[2] &= ~0x20 & 0xFF
    body[-1] = checksum_of(bytes(body[:-1]))
    d = ToledoDecoder()
    assert d.feed(bytes(body)) == []
    assert d.skipped_bytes == 18


# --- hypothesis -------------------------------------------------------------------------

FORMATS = st.sampled_from([(True, False), (False, False), (True, True), (False, True)])


@st.composite
def frame_specs(draw: st.DrawFn, short: bool) -> tuple[dict, WeightFrame]:
    """Encoder keyword arguments and the frame they must decode to."""
    dp = draw(st.integers(0, 7))
    digits = draw(st.integers(0, 999_999))
    negative = draw(st.booleans()) and digits > 0
    weight = scale_digits(digits, dp) * (-1 if negative else 1)
    tare_digits = None if short else draw(st.none() | st.integers(0, 999_999))
    tare = None if tare_digits is None else scale_digits(tare_digits, dp)
    unit: Unit = draw(st.sampled_from(["kg", "lb", "g"]))
    flags = draw(st.fixed_dictionaries({k: st.booleans() for k in
                                        ("net", "motion", "overload", "power_up")}))
    kwargs = dict(unit=unit, dp_code=dp, count_by=draw(st.sampled_from([1, 2, 5])),
                  tare=tare, pad=draw(st.sampled_from(["0", " "])), **flags)
    expected = WeightFrame(
        weight=weight, unit=unit, stable=not flags["motion"], net=flags["net"],
        tare=None if short else tare, overload=flags["overload"] and not negative,
        underload=flags["overload"] and negative, power_up=flags["power_up"],
    )
    return dict(weight=weight, **kwargs), expected


@settings(max_examples=300, deadline=None)
@given(data=st.data(), fmt=FORMATS)
def test_encode_decode_roundtrip(data: st.DataObject, fmt: tuple[bool, bool]) -> None:
    checksum, short = fmt
    kwargs, expected = data.draw(frame_specs(short))
    raw = encode_toledo(**kwargs, checksum=checksum, short=short)
    assert len(raw) == frame_length(checksum=checksum, short=short)
    items = ToledoDecoder(checksum=checksum, short=short).feed(raw)
    assert items == [expected]


@st.composite
def streams(draw: st.DrawFn, checksum: bool, short: bool) -> tuple[bytes, list[WeightFrame]]:
    """Frames with arbitrary garbage between them, and the frames that must come out."""
    out = bytearray()
    expected = []
    for _ in range(draw(st.integers(0, 6))):
        out += draw(st.binary(max_size=25))
        kwargs, frame = draw(frame_specs(short))
        out += encode_toledo(**kwargs, checksum=checksum, short=short)
        expected.append(frame)
    out += draw(st.binary(max_size=25))
    return bytes(out), expected


def _feed_all(decoder: ToledoDecoder, chunks: list[bytes]) -> list[Item]:
    items: list[Item] = []
    for chunk in chunks:
        items += decoder.feed(chunk)
        assert decoder.pending < decoder.length  # memory stays bounded
    return items + decoder.flush()


def _counters(d: ToledoDecoder) -> tuple[int, int, int]:
    return d.frames, d.errors, d.skipped_bytes


@settings(max_examples=200, deadline=None)
@given(data=st.data(), fmt=FORMATS)
def test_any_chunking_gives_the_same_frames(data: st.DataObject, fmt: tuple[bool, bool]) -> None:
    checksum, short = fmt
    stream, expected = data.draw(streams(checksum, short))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)])]
    whole, pieces = ToledoDecoder(checksum, short), ToledoDecoder(checksum, short)
    by_whole = _feed_all(whole, [stream])
    by_pieces = _feed_all(pieces, chunks)
    assert by_pieces == by_whole
    assert _counters(pieces) == _counters(whole)
    assert [i for i in by_whole if isinstance(i, WeightFrame)] == expected


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=400), fmt=FORMATS)
def test_arbitrary_bytes_are_fully_accounted_for(data: bytes, fmt: tuple[bool, bool]) -> None:
    d = ToledoDecoder(*fmt)
    items = _feed_all(d, [data])
    assert all(isinstance(i, (WeightFrame, FrameError)) for i in items)
    assert d.frames * d.length + d.errors + d.skipped_bytes == len(data)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_single_bit_error_never_yields_a_weight_with_checksum(data: st.DataObject) -> None:
    kwargs, _ = data.draw(frame_specs(short=False))
    raw = bytearray(encode_toledo(**kwargs))
    raw[data.draw(st.integers(0, 17))] ^= 1 << data.draw(st.integers(0, 6))
    d = ToledoDecoder()
    assert not [i for i in _feed_all(d, [bytes(raw)]) if isinstance(i, WeightFrame)]
