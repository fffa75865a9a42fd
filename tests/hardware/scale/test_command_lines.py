"""The simulated indicator's command splitter: chunking does not matter; noise cannot grow it."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hardware.scale.commands import CommandLines


@given(st.lists(st.sampled_from([b"W", b"S", b"Z", b"SIR", b""]), max_size=12), st.data())
def test_any_chunking_gives_the_same_commands(commands, data):
    stream = b"".join(c + b"\r" for c in commands)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    lines = CommandLines(b"\r", 32)
    got = [c for a, b in zip([0, *cuts], [*cuts, len(stream)]) for c in lines.feed(stream[a:b])]
    assert got == commands


def test_an_unfinished_line_of_noise_is_cut_to_the_limit():
    lines = CommandLines(b"\n", 8)
    assert lines.feed(b"x" * 1000) == []
    # 8 bytes of noise were kept; the command after them is unknown (the responder says "?").
    assert lines.feed(b"SI\n") == [b"x" * 8 + b"SI"]
    assert lines.feed(b"SI\n") == [b"SI"]
