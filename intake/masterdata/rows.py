"""One row of a staff master-data file, as a pydantic model: the data crossing the boundary
is checked here, cell by cell, before anything reads the store. Pure.

Text is NFKC-normalised (full-width digits and letters from a Chinese input method become
ASCII) and stripped. Plates and order codes are upper case, as the plate camera and the kiosk
keypad send them (intake.ident.webhook). Numbers are whole kilograms or millimetres, digits
only: "12.5", "1e4" or "12,000" are refused rather than guessed at.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from intake.masterdata.csvfile import Record, RowError

Kind = Literal["materials", "suppliers", "vehicles", "orders"]
_DIGITS = re.compile(r"[0-9]+")
_TRUE = {"1", "yes", "y", "true", "open", "是", "开", "开放"}
_FALSE = {"0", "no", "n", "false", "closed", "否", "关", "关闭"}


def _text(value: Any) -> Any:
    if isinstance(value, str):
        value = unicodedata.normalize("NFKC", value).strip()
        if not value:
            raise ValueError("empty: a value is needed")
        if any(unicodedata.category(c)[0] == "C" for c in value):
            raise ValueError("contains control characters")
    return value


def _whole(value: Any) -> Any:
    value = _text(value)
    if isinstance(value, str) and not _DIGITS.fullmatch(value):
        raise ValueError(f"not a whole number: {value!r} (digits only, no separators)")
    return value


def _flag(value: Any) -> Any:
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().lower()
        if not text:
            return None          # blank: a new order is open, an existing one keeps its state
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise ValueError(f"not yes/no: {value!r}")
    return value


Text = Annotated[str, BeforeValidator(_text), Field(max_length=200)]
Code = Annotated[str, BeforeValidator(_text), Field(max_length=64)]
Upper = Annotated[str, BeforeValidator(_text), AfterValidator(str.upper), Field(max_length=64)]
Plate = Annotated[str, BeforeValidator(_text), AfterValidator(str.upper), Field(min_length=2, max_length=16)]
Kg = Annotated[int, BeforeValidator(_whole), Field(ge=1, le=100_000)]
BedLength = Annotated[int, BeforeValidator(_whole), Field(ge=2_000, le=16_000)]
BedWidth = Annotated[int, BeforeValidator(_whole), Field(ge=1_500, le=3_000)]
Flag = Annotated[bool | None, BeforeValidator(_flag)]


class Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    KEY: ClassVar[str]
    OPTIONAL: ClassVar[tuple[str, ...]] = ()

    @property
    def key(self) -> str:
        return str(getattr(self, self.KEY))

    @classmethod
    def required(cls) -> tuple[str, ...]:
        return tuple(n for n in cls.model_fields if n not in cls.OPTIONAL)


class SupplierRow(Row):
    KEY: ClassVar[str] = "code"
    code: Code
    name: Text


class MaterialRow(Row):
    """`code` is the key into the gate config's [materials.<code>] rules."""
    KEY: ClassVar[str] = "code"
    code: Code
    name: Text
    name_zh: Text


class VehicleRow(Row):
    """The stored tare is not imported: it comes from the scale, or from the admin page with a
    reason (intake.web.masterdata)."""
    KEY: ClassVar[str] = "plate"
    plate: Plate
    supplier: Code
    bed_length_mm: BedLength
    bed_width_mm: BedWidth


class OrderRow(Row):
    KEY: ClassVar[str] = "code"
    OPTIONAL: ClassVar[tuple[str, ...]] = ("open",)
    code: Upper
    supplier: Code
    material: Code
    vehicle: Plate
    expected_kg: Kg
    open: Flag = None


MODELS: dict[str, type[Row]] = {"materials": MaterialRow, "suppliers": SupplierRow, "vehicles": VehicleRow, "orders": OrderRow}


def _message(error: Any) -> str:
    text = str(error["msg"])
    return text.removeprefix("Value error, ")


def parse(model: type[Row], records: list[Record]) -> tuple[list[tuple[int, Row]], list[RowError]]:
    """(line, row) for each good record; a RowError per bad cell, naming its column."""
    rows: list[tuple[int, Row]] = []
    errors: list[RowError] = []
    for record in records:
        cells = {k: v for k, v in record.cells.items() if k in model.model_fields}
        try:
            rows.append((record.line, model.model_validate(cells)))
        except ValidationError as exc:
            errors += [RowError(record.line, str(e["loc"][0]) if e["loc"] else None, _message(e))
                       for e in exc.errors()]
    return rows, errors


REFERENCES = ("supplier", "material", "vehicle")   # cells naming another master row


def references(model: type[Row], records: list[Record], errors: list[RowError]) -> list[tuple[int, dict[str, str]]]:
    """For the records that failed to parse: their reference cells that are fine on their
    own, so the plan can still say "no supplier 'xx'" on a line with a bad number too."""
    bad: dict[int, set[str | None]] = {}
    for e in errors:
        bad.setdefault(e.line, set()).add(e.column)
    out = []
    for record in records:
        if record.line not in bad:
            continue
        cells = {}
        for name in (n for n in REFERENCES if n in model.model_fields and n not in bad[record.line]):
            value = unicodedata.normalize("NFKC", record.cells.get(name, "")).strip()
            if value:
                cells[name] = value.upper() if name == "vehicle" else value
        if cells:
            out.append((record.line, cells))
    return out


def clean_reason(text: str | None) -> str:
    """A staff member's reason for a change, as it goes on the record: required, one line."""
    value = " ".join(unicodedata.normalize("NFKC", text or "").split())
    if len(value) < 4:
        raise ValueError("a reason is required (at least 4 characters)")
    if len(value) > 300:
        raise ValueError("the reason is longer than 300 characters")
    return value


def clean_tare(text: str | None) -> int:
    """A corrected stored tare in whole kg, within what a truck can weigh empty."""
    value = unicodedata.normalize("NFKC", text or "").strip()
    if not _DIGITS.fullmatch(value):
        raise ValueError(f"tare: not a whole number of kg: {value!r}")
    kg = int(value)
    if not 500 <= kg <= 60_000:
        raise ValueError(f"tare: {kg} kg is outside 500-60000 kg")
    return kg
