"""A small ESC/POS reader for the tests: it walks a job byte by byte the way a printer's
command parser does and refuses anything it does not know, so a wrong length byte or a stray
command fails the test instead of printing garbage on paper."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Decoded:
    initialised: bool = False
    chinese_mode: list[bool] = field(default_factory=list)   # FS & (True) / FS . (False), in order
    lines: list[str] = field(default_factory=list)            # text lines, decoded from GB18030
    big_lines: list[str] = field(default_factory=list)        # lines printed at double size or more
    qr: list[bytes] = field(default_factory=list)              # data of each QR symbol printed
    qr_model: int | None = None
    qr_level: int | None = None
    cut: bool = False
    after_cut: bytes = b""
    status_asked: list[int] = field(default_factory=list)     # DLE EOT n real-time queries, n in order


class EscPosError(ValueError):
    pass


def _qr_function(out: Decoded, fn: int, payload: bytes, stored: bytes) -> bytes:
    """One GS ( k QR function; returns the symbol buffer after it."""
    if fn == 65:
        out.qr_model = payload[0] - 0x30
    elif fn == 69:
        out.qr_level = payload[0]
    elif fn == 80:
        return payload[1:]
    elif fn == 81:
        out.qr.append(stored)
    elif fn != 67:
        raise EscPosError(f"unknown QR function {fn}")
    return stored


def decode(job: bytes) -> Decoded:
    out, i, text, size, stored = Decoded(), 0, bytearray(), 0, b""
    while i < len(job):
        b = job[i]
        if out.cut:
            out.after_cut = job[i:]
            break
        if b == 0x0A:                     # LF: print the line
            line = text.decode("gb18030")
            out.lines.append(line)
            if size:
                out.big_lines.append(line)
            text.clear()
            i += 1
        elif b == 0x10 and job[i + 1:i + 2] == b"\x04":   # DLE EOT n: a status query, prints nothing
            if job[i + 2] not in (1, 2, 3, 4):
                raise EscPosError(f"bad DLE EOT {job[i + 2]}")
            out.status_asked.append(job[i + 2])
            i += 3
        elif b == 0x1B:                   # ESC
            op = job[i + 1:i + 2]
            if op == b"@":
                out.initialised, i = True, i + 2
            elif op in (b"a", b"E", b"d"):
                i += 3
            else:
                raise EscPosError(f"unknown ESC {op!r} at {i}")
        elif b == 0x1D:                   # GS
            op = job[i + 1:i + 2]
            if op == b"!":
                size, i = job[i + 2], i + 3
            elif op == b"V":
                if job[i + 2] not in (0, 1, 48, 49, 65, 66):
                    raise EscPosError("bad cut mode")
                out.cut, i = True, i + (4 if job[i + 2] in (65, 66) else 3)
            elif op == b"(" and job[i + 2:i + 3] == b"k":
                n = job[i + 3] | job[i + 4] << 8
                if job[i + 5] != 49:
                    raise EscPosError(f"GS ( k for symbol {job[i + 5]}, not QR")
                stored = _qr_function(out, job[i + 6], job[i + 7:i + 5 + n], stored)
                i += 5 + n
            else:
                raise EscPosError(f"unknown GS {op!r} at {i}")
        elif b == 0x1C:                   # FS
            op = job[i + 1:i + 2]
            if op not in (b"&", b"."):
                raise EscPosError(f"unknown FS {op!r}")
            out.chinese_mode.append(op == b"&")
            i += 2
        elif b < 0x20:
            raise EscPosError(f"unexpected control byte {b:#04x} at {i}")
        else:
            text.append(b)
            i += 1
    if text:
        raise EscPosError(f"text left unprinted at the end: {bytes(text)!r}")
    return out
