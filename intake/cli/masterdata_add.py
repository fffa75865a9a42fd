"""`intake materials add`, `intake suppliers add`, `intake vehicles add` (with its RFID card), `intake vehicles card`
and `card-withdraw`, `intake orders add`: one master row at a time, each a chained change record
naming who (--by) and why (--why). Exit 0 done, 1 refused (the message says why), 2 bad usage.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from intake.cli.db import CONFIG, DB, KEY
from intake.cli.masterdata import _engine, materials_app, orders_app, suppliers_app, vehicles_app
from intake.cli.output import FAILED, JSON, USAGE, emit, fail, finish, line

BY = typer.Option(..., "--by", help="Your name: recorded with the change.")
WHY = typer.Option(None, "--why", help="Why (default: 'added by <command>').")


def _who(by: str) -> str:
    if not by.strip():
        fail("--by NAME is needed: your name is recorded with every change", USAGE)
    return by.strip()


def _added(json_out: bool, what: str, **fields: object) -> None:
    if json_out:
        emit({"added": what, **fields})
    else:
        line(f"added {what}: " + ", ".join(f"{k} {v}" for k, v in fields.items() if v is not None))
    finish(True)


def _add(kind: str, cells: dict[str, str], by: str, why: str, db: Optional[str], config: Optional[Path],
         key: Optional[str]) -> str:
    from intake.masterdata.edits import EditRefused
    from intake.masterdata.single import add_row

    try:
        return add_row(_engine(db, config, key), kind, cells, _who(by), why)  # type: ignore[arg-type]
    except EditRefused as exc:
        fail(str(exc), FAILED)


@materials_app.command("add")
def material_add(code: str = typer.Option(..., "--code", help="The material's code: a [materials.<code>] rule of the config."),
                 name: str = typer.Option(..., "--name", help="Its name in English, e.g. 'Sand 0/4'."),
                 name_zh: str = typer.Option(..., "--name-zh", help="Its name in Chinese, e.g. 砂 (the kiosk shows it)."),
                 by: str = BY, why: Optional[str] = WHY, json_out: bool = JSON,
                 db: Optional[str] = DB, config: Optional[Path] = CONFIG, key: Optional[str] = KEY) -> None:
    """Add one material."""
    added = _add("materials", {"code": code, "name": name, "name_zh": name_zh}, by,
                 why or "added by intake materials add", db, config, key)
    _added(json_out, "material", code=added, name=name, name_zh=name_zh)


@suppliers_app.command("add")
def supplier_add(code: str = typer.Option(..., "--code", help="The supplier's code (as orders name it)."),
                 name: str = typer.Option(..., "--name", help="Its name, e.g. 华鑫砂场 Huaxin Sand."),
                 by: str = BY, why: Optional[str] = WHY, json_out: bool = JSON,
                 db: Optional[str] = DB, config: Optional[Path] = CONFIG, key: Optional[str] = KEY) -> None:
    """Add one supplier."""
    added = _add("suppliers", {"code": code, "name": name}, by, why or "added by intake suppliers add", db, config, key)
    _added(json_out, "supplier", code=added, name=name)


@vehicles_app.command("add")
def vehicle_add(plate: str = typer.Option(..., "--plate", help="The plate as the camera reads it, e.g. 沪A·S1001."),
                supplier: str = typer.Option(..., "--supplier", help="The supplier's code."),
                bed_length_mm: int = typer.Option(..., "--bed-length-mm", help="Inside length of the bed, mm."),
                bed_width_mm: int = typer.Option(..., "--bed-width-mm", help="Inside width of the bed, mm."),
                card: Optional[str] = typer.Option(None, "--card", help="Its RFID card number (hex, as the reader shows it)."),
                by: str = BY, why: Optional[str] = WHY, json_out: bool = JSON,
                db: Optional[str] = DB, config: Optional[Path] = CONFIG, key: Optional[str] = KEY) -> None:
    """Add one vehicle, and bind its RFID card when --card is given."""
    from intake.masterdata.cards import clean_tag
    from intake.masterdata.edits import EditRefused

    reason = why or "added by intake vehicles add"
    try:
        tag = clean_tag(card) if card is not None else None   # a bad card number refused before anything is written
    except EditRefused as exc:
        fail(str(exc), USAGE)
    added = _add("vehicles", {"plate": plate, "supplier": supplier, "bed_length_mm": str(bed_length_mm),
                              "bed_width_mm": str(bed_width_mm)}, by, reason, db, config, key)
    if tag is not None:
        _bind(added, tag, by, reason, db, config, key)
    _added(json_out, "vehicle", plate=added, supplier=supplier, card=tag)


def _bind(plate: str, tag: str, by: str, why: str, db: Optional[str], config: Optional[Path],
          key: Optional[str]) -> None:
    from intake.masterdata.cards import bind_card
    from intake.masterdata.edits import EditRefused

    try:
        bind_card(_engine(db, config, key), plate, tag, _who(by), why)
    except EditRefused as exc:
        fail(str(exc), FAILED)


@vehicles_app.command("card")
def vehicle_card(plate: str = typer.Argument(..., help="The vehicle's plate."),
                 card: str = typer.Argument(..., help="The RFID card number (hex)."),
                 by: str = BY, why: Optional[str] = WHY, json_out: bool = JSON,
                 db: Optional[str] = DB, config: Optional[Path] = CONFIG, key: Optional[str] = KEY) -> None:
    """Bind an RFID card to a vehicle (refused while the card is bound elsewhere)."""
    from intake.masterdata.cards import clean_tag
    from intake.masterdata.edits import EditRefused

    try:
        tag = clean_tag(card)
    except EditRefused as exc:
        fail(str(exc), USAGE)
    _bind(plate, tag, by, why or "card bound by intake vehicles card", db, config, key)
    _added(json_out, "card", card=tag, plate=plate.strip().upper())


@vehicles_app.command("card-withdraw")
def vehicle_card_withdraw(card: str = typer.Argument(..., help="The RFID card number (hex)."),
                          by: str = BY, why: Optional[str] = WHY, json_out: bool = JSON,
                          db: Optional[str] = DB, config: Optional[Path] = CONFIG,
                          key: Optional[str] = KEY) -> None:
    """Withdraw a lost or returned card: it stops identifying its vehicle."""
    from intake.masterdata.cards import withdraw_card
    from intake.masterdata.edits import EditRefused

    try:
        change = withdraw_card(_engine(db, config, key), card, _who(by), why or "card withdrawn by intake vehicles card-withdraw")
    except EditRefused as exc:
        fail(str(exc), FAILED)
    if json_out:
        emit({"withdrawn": "card", "card": change.new.get("tag")})
    else:
        line(f"card {change.new.get('tag')} withdrawn")
    finish(True)


@orders_app.command("add")
def order_add(supplier: str = typer.Option(..., "--supplier", help="The supplier's code."),
              material: str = typer.Option(..., "--material", help="The material's code (a [materials.<code>] of the config)."),
              vehicle: str = typer.Option(..., "--vehicle", help="The vehicle's plate."),
              expected_kg: int = typer.Option(..., "--expected-kg", help="Expected load, kg."),
              code: Optional[str] = typer.Option(None, "--code", help="The order code (default: a new keypad code, PO-XXXXX-XXXXXX)."),
              by: str = BY, why: Optional[str] = WHY, json_out: bool = JSON,
              db: Optional[str] = DB, config: Optional[Path] = CONFIG, key: Optional[str] = KEY) -> None:
    """Add one open delivery order; its code is what the driver keys at the kiosk."""
    from intake.ident.ordercodes import new_order_code

    added = _add("orders", {"code": code or new_order_code(), "supplier": supplier, "material": material,
                            "vehicle": vehicle, "expected_kg": str(expected_kg), "open": "yes"},
                 by, why or "added by intake orders add", db, config, key)
    _added(json_out, "order", code=added, vehicle=vehicle.strip().upper(), supplier=supplier, material=material)
