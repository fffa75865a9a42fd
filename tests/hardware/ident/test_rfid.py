"""RFID frames (pure) and the reader over a real pseudo-terminal through pyserial."""
from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.ident.reader import RfidReader
from hardware.ident.rfid import (
    Em4100Decoder, TagError, TagRead, UhfDecoder, encode_em4100, encode_uhf,
)
from hardware.ident.simulator import RfidSimulator

hex_tag = st.binary(min_size=5, max_size=5).map(lambda b: b.hex().upper())
epc = st.binary(min_size=12, max_size=12).map(lambda b: b.hex().upper())


def test_em4100_known_frame():
    # card 0x62E3086CED: XOR of the five bytes is 0x08
    frame = b"\x0262E3086CED08\r\n\x03"
    assert Em4100Decoder().feed(frame) == [TagRead("62E3086CED")]
    assert encode_em4100("62E3086CED") == frame


def test_em4100_bad_checksum_and_shape_are_errors_not_reads():
    dec = Em4100Decoder()
    out = dec.feed(b"\x0262E3086CED09\x03\x02XYZ\x03")
    assert all(isinstance(o, TagError) for o in out) and len(out) == 2


@given(tags=st.lists(hex_tag, min_size=1, max_size=5), cut=st.integers(1, 7), junk=st.binary(max_size=8))
def test_em4100_any_chunking_and_leading_garbage(tags, cut, junk):
    stream = junk.replace(b"\x02", b"") + b"".join(encode_em4100(t) for t in tags)
    dec = Em4100Decoder()
    out = []
    for i in range(0, len(stream), cut):
        out += dec.feed(stream[i:i + cut])
    assert out == [TagRead(t) for t in tags]


@given(tags=st.lists(epc, min_size=1, max_size=4), cut=st.integers(1, 9), rssi=st.integers(-90, -20))
def test_uhf_round_trip_any_chunking(tags, cut, rssi):
    stream = b"".join(encode_uhf(t, rssi) for t in tags)
    dec = UhfDecoder()
    out = []
    for i in range(0, len(stream), cut):
        out += dec.feed(stream[i:i + cut])
    assert out == [TagRead(t, rssi) for t in tags]


def test_uhf_corrupted_checksum_is_an_error():
    frame = bytearray(encode_uhf("E2000017221101441890ABCD"))
    frame[10] ^= 0x01
    assert isinstance(UhfDecoder().feed(bytes(frame))[0], TagError)


@given(st.binary(max_size=200))
def test_random_bytes_never_raise(data):
    Em4100Decoder().feed(data)
    UhfDecoder().feed(data)


@pytest.mark.parametrize("protocol,tag", [("em4100", "0A1B2C3D4E"), ("uhf", "E2000017221101441890ABCD")])
def test_reader_reads_tags_over_a_pty_and_debounces(protocol, tag):
    sim = RfidSimulator(protocol)
    got: list[str] = []
    seen = threading.Event()
    reader = RfidReader(sim.port, protocol, lambda r: (got.append(r.tag), seen.set()), repeat_s=30)
    reader.start()
    try:
        for _ in range(50):  # until the reader has the port open
            sim.show(tag, noise=b"\xff\x00junk")
            if seen.wait(0.1):
                break
        sim.show(tag)  # the same card again, within repeat_s: reported once
        threading.Event().wait(0.3)
    finally:
        reader.stop()
        sim.close()
    assert got == [tag]


def test_the_repeat_filter_forgets_cards_outside_its_window():
    # Months of trucks are thousands of distinct cards: only those inside repeat_s are kept.
    from hardware.ident.reader import RfidReader
    from hardware.ident.rfid import TagRead

    seen: list[str] = []
    reader = RfidReader("loop://", "em4100", lambda read: seen.append(read.tag), repeat_s=0.0)
    for i in range(2000):
        reader._deliver(TagRead(f"{i:010X}"))
    assert len(seen) == 2000 and len(reader._last) <= 257
    held = RfidReader("loop://", "em4100", lambda read: seen.append(read.tag), repeat_s=60.0)
    for _ in range(3):
        held._deliver(TagRead("00000000AA"))   # one card held in the field: reported once
    assert seen[2000:] == ["00000000AA"]
