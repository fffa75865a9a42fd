"""Every vector of reference scale-protocols.md §2-§8 (other than Toledo's, see
test_toledo_vectors.py), one test per vector ID, through the registry's decoders."""
from __future__ import annotations

from decimal import Decimal

import pytest

from hardware.scale import sics, yaohua
from hardware.scale.codecs import get_decoder
from hardware.scale.frame import FrameError, WeightFrame
from hardware.scale.state import IndicatorState

Item = WeightFrame | FrameError


def decode(protocol: str, data: bytes, **opts: object) -> list[Item]:
    decoder = get_decoder(protocol, **opts)
    return decoder.feed(data) + decoder.flush()


def one_frame(protocol: str, data: bytes, **opts: object) -> WeightFrame:
    items = decode(protocol, data, **opts)
    assert len(items) == 1 and isinstance(items[0], WeightFrame), items
    return items[0]


def one_error(protocol: str, data: bytes, **opts: object) -> FrameError:
    items = decode(protocol, data, **opts)
    assert len(items) == 1 and isinstance(items[0], FrameError), items
    return items[0]


def exact(frame: WeightFrame, weight: str, unit: str, stable: bool | None,
          net: bool = False) -> None:
    # str() comparison: Decimal("100.00") == Decimal(100), but the decimals shown matter
    assert (str(frame.weight), frame.unit, frame.stable, frame.net) == (weight, unit, stable, net)
    assert frame.usable


# --- MT-SICS (§2.2) -----------------------------------------------------------------------

def test_M1() -> None:
    exact(one_frame("sics", b"S S     100.00 g\r\n"), "100.00", "g", True)


def test_M2() -> None:
    exact(one_frame("sics", b"S S     4.08 kg\r\n"), "4.08", "kg", True)


def test_M3() -> None:
    exact(one_frame("sics", b"S D 1.234 g\r\n"), "1.234", "g", False)


@pytest.mark.parametrize(("reply", "why"), [(b"S +", "overload"), (b"S -", "underload"),
                                            (b"S I", "not available")])
def test_M4(reply: bytes, why: str) -> None:
    assert why in one_error("sics", reply + b"\r\n").error


@pytest.mark.parametrize("reply", [b"ES", b"ET", b"EL"])
def test_M5(reply: bytes) -> None:
    assert reply.decode() in one_error("sics", reply + b"\r\n").error


@pytest.mark.parametrize(("command", "reply"), [(b"Z", b"Z A"), (b"TAC", b"TAC A"),
                                                (b"@", b'@ A "SIM0001"')])
def test_M6_M7_M8_replies_are_no_weight_and_the_responder_gives_them(
        command: bytes, reply: bytes) -> None:
    d = get_decoder("sics")
    assert d.feed(reply + b"\r\n") == [] and d.skipped_bytes == len(reply) + 2
    assert sics.SicsResponder().feed(command + b"\r\n", IndicatorState(Decimal(5))) \
        == reply + b"\r\n"


def test_sics_value_filling_the_field_and_negative() -> None:
    exact(one_frame("sics", b"S S12345678.12 g\r\n"), "12345678.12", "g", True)
    exact(one_frame("sics", b"S D     -12.5 kg\r\n"), "-12.5", "kg", False)


def test_sics_request_and_stable_command_in_motion() -> None:
    assert get_decoder("sics").request == b"SI\r\n"
    moving = IndicatorState(Decimal("10.5"), motion=True)
    responder = sics.SicsResponder()
    assert responder.feed(b"S\r\n", moving) == b"S I\r\n"
    assert responder.feed(b"S", moving) == b""  # incomplete command: wait
    assert responder.feed(b"I\r\n", moving) == b"S D       10.5 kg\r\n"


# --- Yaohua 12-byte (§3.1) ----------------------------------------------------------------

def test_Y1() -> None:
    exact(one_frame("yaohua", bytes.fromhex("02 2B 30 30 30 30 30 30 30 31 42 03")),
          "0", "kg", None)


def test_Y2() -> None:
    exact(one_frame("yaohua", bytes.fromhex("02 2B 30 30 31 35 36 30 30 31 39 03")),
          "1560", "kg", None)


def test_Y3() -> None:
    exact(one_frame("yaohua", bytes.fromhex("02 2B 30 30 31 36 35 30 30 31 39 03")),
          "1650", "kg", None)


def test_Y4() -> None:
    exact(one_frame("yaohua", bytes.fromhex("02 2D 30 30 30 31 32 30 30 31 45 03")),
          "-120", "kg", None)


def test_Y5() -> None:
    exact(one_frame("yaohua", bytes.fromhex("02 2B 30 31 32 33 34 35 32 31 38 03")),
          "123.45", "kg", None)


def test_Y6() -> None:
    exact(one_frame("yaohua", bytes.fromhex("02 2B 30 34 39 33 38 30 33 31 45 03"), unit="t"),
          "49.380", "t", None)


def test_yaohua_bad_xor_is_refused_and_decimal_count_is_no_seventh_digit() -> None:
    bad = bytearray(bytes.fromhex("02 2B 30 30 31 35 36 30 30 31 39 03"))
    bad[10] = ord("8")
    assert "checksum" in one_error("yaohua", bytes(bad)).error
    # the x10 trap: byte 9 is a decimal count, so this is 1560, never 15600
    assert yaohua.encode_frame(1560) == bytes.fromhex("02 2B 30 30 31 35 36 30 30 31 39 03")


@pytest.mark.parametrize(("command", "hexbytes"), [
    ("A", "02 41 41 30 30 03"), ("B", "02 41 42 30 33 03"), ("C", "02 41 43 30 32 03"),
    ("D", "02 41 44 30 35 03"), ("E", "02 41 45 30 34 03"), ("F", "02 41 46 30 37 03")])
def test_yaohua_command_frames_of_section_3_4(command: str, hexbytes: str) -> None:
    assert yaohua.request_frame("A", command) == bytes.fromhex(hexbytes)


def test_yaohua_command_mode_reply_round_trip() -> None:
    responder = yaohua.YaohuaResponder("A")
    reply = responder.feed(yaohua.request_frame("A", "B"), IndicatorState(Decimal(1560)))
    assert len(reply) == 14
    assert responder.feed(yaohua.request_frame("B", "B"), IndicatorState(Decimal(1))) == b""
    d = get_decoder("yaohua", command=True)
    assert d.request == yaohua.request_frame("A", "B")
    (frame,) = d.feed(reply)
    assert isinstance(frame, WeightFrame) and frame.weight == 1560
    keli_cmd = get_decoder("keli", command=True)
    (frame,) = keli_cmd.feed(reply)
    assert isinstance(frame, WeightFrame) and frame.weight == 1560


# --- Yaohua "=" reversed stream (§3.2) ----------------------------------------------------

def test_E1() -> None:
    items = decode("yaohua-eq", b"=000.3000=000.3000=000.3000")
    assert [str(i.weight) for i in items if isinstance(i, WeightFrame)] == ["3.000"] * 3


def test_E2() -> None:
    items = decode("yaohua-eq", b"=00.1000-=00.1000-=00.1000-")
    assert [str(i.weight) for i in items if isinstance(i, WeightFrame)] == ["-1.00"] * 3


def test_E3() -> None:
    # the peer writes each data line reversed, then "=": the first frame's start is unseen
    items = decode("yaohua-eq", b"543.210=543.210=543.210=", width=7)
    assert [str(i.weight) for i in items] == ["12.345", "12.345"]


def test_yaohua_eq_cut_and_stretched_frames_are_refused() -> None:
    items = decode("yaohua-eq", b"=000.3000=00.30=000.3000=000.30000=000.3000=")
    assert [i.weight if isinstance(i, WeightFrame) else "ERR" for i in items] == \
        [3, "ERR", 3, "ERR", 3]


# --- Keli (§4) ----------------------------------------------------------------------------

def test_keli_T1_stream_with_unit() -> None:
    exact(one_frame("keli", b"=5123.45(kg)\r\n"), "5123.45", "kg", None)


def test_keli_A26_format_2_forward() -> None:
    items = decode("keli", b"=0003.000=-0001.00=", unit="t")
    assert [(str(i.weight), i.unit) for i in items] == [("3.000", "t"), ("-1.00", "t")]


def test_keli_line_end_refuses_a_cut_frame() -> None:
    items = decode("keli", b"=512=5123.45(kg)\r\n", line_end=True)
    assert isinstance(items[0], FrameError) and items[1].weight == Decimal("5123.45")


# --- CAS (§5) -----------------------------------------------------------------------------

def test_C1() -> None:
    exact(one_frame("cas", b"ST,GS,+001.234kg\r\n"), "1.234", "kg", True)


def test_C2() -> None:
    exact(one_frame("cas", b"ST,GS     59.6kg\r\n"), "59.6", "kg", True)


def test_C3() -> None:
    exact(one_frame("cas", b"ST,GS-     2.5kg\r\n"), "-2.5", "kg", True)


def test_C4() -> None:
    exact(one_frame("cas", b"ST,GS,+  4.876kg\r\n"), "4.876", "kg", True)


def test_cas_variants_from_the_manuals() -> None:
    exact(one_frame("cas", b"ST, GS+ 5.12KG\r\n"), "5.12", "kg", True)  # Selleton
    exact(one_frame("cas", b"US,NT,+000.500kg\r\n"), "0.500", "kg", False, net=True)
    assert "overload" in one_error("cas", b"OL,GS,+        kg\r\n").error
    assert "unit" in one_error("cas", b"ST,GS,+01234567  oz\r\n").error  # Kern: no oz


# --- SMA (§8) -----------------------------------------------------------------------------

def sma(status: str, weight: str, unit: str) -> bytes:
    return f"\n{status}{weight:>10}{unit:<3}\r".encode()


def test_S1() -> None:
    exact(one_frame("sma", sma(" 1G  ", "5.025", "lb")), "5.025", "lb", True)


def test_S2() -> None:
    exact(one_frame("sma", sma(" 1N  ", "100000", "lb")), "100000", "lb", True, net=True)


def test_S3() -> None:
    exact(one_frame("sma", sma("Z1G  ", "0.000", "lb")), "0.000", "lb", True)


def test_S4() -> None:
    items = decode("sma", sma(" 1G  ", "7.025", "kg") + sma(" 1GM ", "7.650", "kg"))
    assert [(str(i.weight), i.stable) for i in items] == [("7.025", True), ("7.650", False)]


def test_sma_errors_and_short_replies() -> None:
    assert "zero error" in one_error("sma", sma("E1G  ", "----------", "lb")).error
    assert decode("sma", b"\n?\r\nSMA:2/1.0\r") == []
    over = one_frame("sma", sma("O1G  ", "9999", "kg").replace(b"O1G", b"O1G"))
    assert over.overload and not over.usable


# --- Rice Lake RLWS (§6.1) ----------------------------------------------------------------

def test_R1() -> None:
    exact(one_frame("ricelake", bytes.fromhex("02 20 20 20 31 32 33 34 30 4B 47 20 0D 0A")),
          "12340", "kg", True)


def test_ricelake_status_letters() -> None:
    assert "invalid" in one_error("ricelake", b"\x02   12340KGI\r\n").error
    assert not one_frame("ricelake", b"\x02-     40KGO\r\n").usable
    assert one_frame("ricelake", b"\x02   12340LNM\r").stable is False
    assert "unit" in one_error("ricelake", b"\x02   12340TG \r\n").error  # tons: refused


# --- Cardinal (§6.2 / §7) -----------------------------------------------------------------

def test_cardinal_stream_layout() -> None:
    exact(one_frame("cardinal", b"\r+012340  lb g  \x03"), "12340", "lb", True)
    exact(one_frame("cardinal", b"\r-0012.5m kg n  \x03"), "-12.5", "kg", False, net=True)
    assert not one_frame("cardinal", b"\r+999999o lb g  \x03").usable
    assert "not displayed" in one_error("cardinal", b"\r+000000e lb g  \x03").error
    assert "unit" in one_error("cardinal", b"\r+001000  tn g  \x03").error
