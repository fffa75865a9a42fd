"""A staff CSV file as text and records: which encoding, which delimiter, which columns, and
each record with the line it starts on. Pure: bytes in, records and row errors out.

Excel on a Chinese Windows saves "CSV" in the ANSI code page (GBK, read here as GB18030, its
superset) and "CSV UTF-8" with a byte-order mark; both are read. "Unicode Text" (UTF-16,
tab-separated) is named and refused rather than read as garbage. A file that is neither is
refused at the line of its first bad byte: a wrong guess would put mojibake on the chain.
"""
from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

ENCODINGS = ("utf-8", "gb18030")
MAX_BYTES = 64 * 1024 * 1024   # far beyond any plant's master data; a runaway file is refused


@dataclass(frozen=True)
class RowError:
    """What is wrong, and where: line 1 is the header; column None is the whole line."""
    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class FileError(Exception):
    """The file cannot be read as records at all (encoding, header)."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = list(errors)


@dataclass(frozen=True)
class Record:
    line: int                    # where the record starts (a quoted cell may span lines)
    cells: dict[str, str]        # header name -> cell text, every header column present


@dataclass(frozen=True)
class Table:
    encoding: str
    records: list[Record]
    errors: list[RowError] = field(default_factory=list)


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """(text, the encoding's name). `encoding` forces one; otherwise a UTF-8 BOM means UTF-8,
    then UTF-8 is tried, then GB18030."""
    if len(data) > MAX_BYTES:
        raise FileError([RowError(1, None, f"file larger than {MAX_BYTES // 2**20} MB")])
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileError([RowError(1, None, "the file is UTF-16 (Excel's 'Unicode Text'): "
                                            "save it as 'CSV UTF-8' or 'CSV'")])
    bom = data.startswith(codecs.BOM_UTF8)
    if bom:
        data = data[len(codecs.BOM_UTF8):]
    tries = [encoding] if encoding else (["utf-8"] if bom else list(ENCODINGS))
    first: UnicodeDecodeError | None = None
    for name in tries:
        try:
            text = data.decode(name)
        except UnicodeDecodeError as exc:
            first = first or exc
            continue
        except LookupError:
            raise FileError([RowError(1, None, f"unknown encoding {encoding!r}")]) from None
        return text, ("UTF-8 with BOM" if bom and name == "utf-8" else name.upper())
    assert first is not None
    line = data[:first.start].count(b"\n") + 1
    tried = " nor ".join(t.upper() for t in tries)
    raise FileError([RowError(line, None, f"not {tried}: byte 0x{data[first.start]:02x} cannot be read "
                                          "(save the file from Excel as 'CSV UTF-8')")])


def _delimiter(first_line: str) -> str:
    # Excel in a locale with a decimal comma writes `;`; a tab-separated export is read too.
    if "," in first_line:
        return ","
    return next((d for d in (";", "\t") if d in first_line), ",")


def _header(cells: list[str], required: Sequence[str], optional: Sequence[str]) -> tuple[list[str], list[RowError]]:
    names = [c.replace("\ufeff", "").strip().lower() for c in cells]
    errors = []
    known = [*required, *optional]
    for i, name in enumerate(names):
        if name and name not in known:
            errors.append(RowError(1, name, f"unknown column (the columns are: {', '.join(known)})"))
        elif name and name in names[:i]:
            errors.append(RowError(1, name, "column given twice"))
    errors += [RowError(1, name, "missing column") for name in required if name not in names]
    return names, errors


def read_table(text: str, encoding: str, required: Sequence[str], optional: Sequence[str] = ()) -> Table:
    """Records of a CSV text whose first line is the header. Header problems end the reading
    (FileError); a malformed record is a row error and the others are still read, so one run
    names every bad line."""
    source = io.StringIO(text, newline="")
    reader = csv.reader(source, delimiter=_delimiter(text.split("\n", 1)[0]))
    try:
        head = next(reader, None)
    except csv.Error as exc:
        raise FileError([RowError(1, None, f"header: {exc}")]) from None
    if head is None or not any(c.strip() for c in head):
        raise FileError([RowError(1, None, "the file is empty: a header line is needed")])
    names, errors = _header(head, required, optional)
    if errors:
        raise FileError(errors)
    return Table(encoding, *_records(reader, names))


def _records(reader: Iterable[list[str]], names: list[str]) -> tuple[list[Record], list[RowError]]:
    records: list[Record] = []
    errors: list[RowError] = []
    line = getattr(reader, "line_num", 1)
    rows = iter(reader)
    while True:
        start = line + 1
        try:
            cells = next(rows, None)
        except csv.Error as exc:
            errors.append(RowError(start, None, f"not CSV: {exc}"))
            line = getattr(reader, "line_num", start)
            continue
        line = getattr(reader, "line_num", start)
        if cells is None:
            return records, errors
        if not any(c.strip() for c in cells):
            continue   # blank lines, and Excel's rows of empty cells
        extra = [c for c in cells[len(names):] if c.strip()]
        if extra:
            errors.append(RowError(start, None, f"{len(cells)} cells, the header has {len(names)}"))
            continue
        padded = cells + [""] * (len(names) - len(cells))   # trailing empty cells left out
        records.append(Record(start, {n: v for n, v in zip(names, padded) if n}))
