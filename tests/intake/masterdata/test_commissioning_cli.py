"""The commissioning path on a fresh folder, by the CLI alone: `intake init`, then a material,
a supplier, a vehicle with its RFID card and an open order; the card then identifies the truck
as the gate's reader thread looks it up, and admission finds its order. Every addition is a
chained change record, so `intake audit verify` passes; refusals say why and write nothing."""
from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import Session, col, select
from typer.testing import CliRunner

from intake.cli.main import app
from intake.config import load_config
from intake.ident.tags import plate_for_tag
from intake.store.db import open_engine
from intake.store.keys import load_key
from intake.store.master_changes import MasterChange
from intake.store.records import Admission, Records

PLATE, CARD = "沪A·S1001", "0A1B2C3D4E"


def _run(runner: CliRunner, config: Path, *args: str) -> dict:
    done = runner.invoke(app, [*args, "--config", str(config), "--by", "tech Li", "--json"])
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout.splitlines()[-1])


def test_a_fresh_site_gets_its_master_data_and_the_gate_knows_the_card(tmp_path: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(app, ["init", str(tmp_path / "site"), "--name", "一号站", "--json"])
    assert made.exit_code == 0, made.output
    config = Path(json.loads(made.stdout)["config"])
    _run(runner, config, "materials", "add", "--code", "sand", "--name", "Sand 0/4", "--name-zh", "砂")
    _run(runner, config, "suppliers", "add", "--code", "hx-sand", "--name", "华鑫砂场")
    vehicle = _run(runner, config, "vehicles", "add", "--plate", "沪a·s1001", "--supplier", "hx-sand",
                   "--bed-length-mm", "7200", "--bed-width-mm", "2350", "--card", "0a:1b:2c:3d:4e")
    assert (vehicle["plate"], vehicle["card"]) == (PLATE, CARD)
    order = _run(runner, config, "orders", "add", "--supplier", "hx-sand", "--material", "sand",
                 "--vehicle", PLATE, "--expected-kg", "25000")
    assert order["code"].startswith("PO-")

    cfg = load_config(config)
    engine = open_engine(cfg.site.database, load_key(cfg.site.audit_key))
    try:
        assert plate_for_tag(engine, CARD.lower()) == PLATE          # what the RFID thread asks
        admitted = Records(engine).admit(PLATE, "1")
        assert isinstance(admitted, Admission) and (admitted.supplier, admitted.material) == ("hx-sand", "sand")
        assert Records(engine).plate_for_order_code(order["code"]) == PLATE   # the kiosk keypad's lookup
        with Session(engine) as session:
            changes = session.exec(select(MasterChange).order_by(col(MasterChange.id))).all()
        assert [c.table_name for c in changes] == ["material", "supplier", "vehicle", "vehicletag", "deliveryorder"]
        assert {c.by for c in changes} == {"tech Li"}
    finally:
        engine.dispose()
    assert runner.invoke(app, ["audit", "verify", "--config", str(config)]).exit_code == 0


def test_refusals_say_why_and_change_nothing(tmp_path: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(app, ["init", str(tmp_path / "site"), "--name", "二号站", "--json"])
    config = Path(json.loads(made.stdout)["config"])
    _run(runner, config, "suppliers", "add", "--code", "hx-sand", "--name", "华鑫砂场")
    _run(runner, config, "vehicles", "add", "--plate", PLATE, "--supplier", "hx-sand",
         "--bed-length-mm", "7200", "--bed-width-mm", "2350", "--card", CARD)
    base = ["--config", str(config), "--by", "tech Li"]
    again = runner.invoke(app, ["suppliers", "add", "--code", "hx-sand", "--name", "other", *base])
    assert again.exit_code == 1 and "exists already" in again.output
    unknown = runner.invoke(app, ["vehicles", "add", "--plate", "沪B·1", "--supplier", "nobody",
                                  "--bed-length-mm", "7200", "--bed-width-mm", "2350", *base])
    assert unknown.exit_code == 1 and "nobody" in unknown.output
    bad_card = runner.invoke(app, ["vehicles", "card", PLATE, "not-a-card", *base])
    assert bad_card.exit_code == 2 and "not a card number" in bad_card.output
    _run(runner, config, "vehicles", "add", "--plate", "沪A·S2002", "--supplier", "hx-sand",
         "--bed-length-mm", "7200", "--bed-width-mm", "2350")
    taken = runner.invoke(app, ["vehicles", "card", "沪A·S2002", CARD, *base])
    assert taken.exit_code == 1 and PLATE in taken.output         # one card names one truck
    _run(runner, config, "vehicles", "card-withdraw", CARD)
    _run(runner, config, "vehicles", "card", "沪A·S2002", CARD)   # a withdrawn card may be bound again
    cfg = load_config(config)
    engine = open_engine(cfg.site.database, load_key(cfg.site.audit_key))
    try:
        assert plate_for_tag(engine, CARD) == "沪A·S2002"
    finally:
        engine.dispose()
    assert runner.invoke(app, ["audit", "verify", "--config", str(config)]).exit_code == 0
