"""`intake scale verify` end to end: a real process reads the simulated Toledo indicator on a
pseudo-terminal through the ScaleReader while the technician places the test loads."""
from __future__ import annotations

import json
import threading
from decimal import Decimal

import pytest
from PIL import Image
from sqlmodel import Session, select

from hardware.scale.simulator import IndicatorSimulator
from intake.metrology.tables import VerificationRecord
from intake.store.audit import verify as verify_chain
from intake.store.db import open_engine
from tests.intake.metrology.conftest import KEY, Technician

pytestmark = pytest.mark.timeout(90)
MOTION_FRAMES = 5


class Deck:
    """The weight source: a placed load reads in motion for a few frames, then settles on the
    load plus the scale's error at that load."""

    def __init__(self, error=lambda load: 0) -> None:
        self.error = error
        self.shown, self.motion_left = 0, 0
        self._lock = threading.Lock()

    def place(self, _kind: str, load: Decimal) -> None:
        with self._lock:
            self.shown, self.motion_left = int(load) + int(self.error(int(load))), MOTION_FRAMES

    def __call__(self) -> tuple[int, bool]:
        with self._lock:
            if self.motion_left:
                self.motion_left -= 1
                return self.shown // 2 + 37 * self.motion_left, True
            return self.shown, False


def common(port: str, db_url: str) -> list[str]:
    return ["scale", "verify", "--port", port, "--protocol", "toledo", "--max", "60000", "--e", "20",
            "--db", db_url, "--key", "env:METRO_KEY", "--stable-time", "0.4", "--step-timeout", "20"]


def test_good_scale_passes_with_table_plot_and_chained_record(tmp_path, db_url) -> None:
    # Within MPE everywhere, on the inclusive boundary at 40 t (1 e) and 60 t (-1 e < 1.5 e).
    deck = Deck(lambda load: {40_000: 20, 60_000: -20}.get(load, 0))
    plot = tmp_path / "verify.png"
    with IndicatorSimulator(deck, period=0.05) as sim:
        tech = Technician([*common(sim.port, db_url), "--script", str(_plan(tmp_path)), "--json",
                           "--plot", str(plot), "--technician", "T. Est"], deck.place)
        code, out, err = tech.finish()
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    steps, summary = [l["step"] for l in lines[:-1]], lines[-1]
    assert [s["kind"] for s in steps] == ["zero", "rising", "rising", "rising", "rising", "falling",
                                          "zero", "eccentric", "eccentric"]
    assert [s["indication_kg"] for s in steps][:5] == ["0", "400", "10000", "40020", "59980"]
    assert steps[3]["mpe_kg"] == "20" and steps[4]["mpe_kg"] == "30"
    assert summary["passed"] is True and summary["failed_steps"] == 0
    assert (summary["max_kg"], summary["e_kg"], summary["class"]) == ("60000", "20", "III")
    assert Image.open(plot).size == (900, 560)
    engine = open_engine(db_url, KEY.encode())
    with Session(engine) as session:
        (record,) = session.exec(select(VerificationRecord)).all()
    assert record.passed and record.indicator.startswith("toledo@") and record.e_kg == "20"
    assert record.technician == "T. Est" and len(record.steps) == 9
    assert verify_chain(engine, KEY.encode()).ok


def _plan(tmp_path):
    path = tmp_path / "plan.txt"
    path.write_text("zero 0\nrising 400\nrising 10000\nrising 40000\nrising 60000\nfalling 10000\n"
                    "zero 0\neccentric 20000 1  # front left\neccentric 20000 2\n")
    return path


def test_scale_outside_mpe_fails_exit_1_and_is_still_recorded(tmp_path, db_url) -> None:
    deck = Deck(lambda load: 40 if load == 60_000 else 0)     # +2 e at Max: MPE is 1.5 e
    plan = tmp_path / "short.txt"
    plan.write_text("zero 0\nrising 60000\n")
    with IndicatorSimulator(deck, period=0.05) as sim:
        tech = Technician([*common(sim.port, db_url), "--script", str(plan)], deck.place)
        code, out, err = tech.finish()
    assert code == 1, err
    assert "FAIL" in out and "60040" in out
    with Session(open_engine(db_url, KEY.encode())) as session:
        (record,) = session.exec(select(VerificationRecord)).all()
    assert not record.passed and record.steps[1]["error_kg"] == "40"


def test_in_service_mpe_doubles(tmp_path, db_url) -> None:
    deck = Deck(lambda load: 40 if load == 60_000 else 0)
    plan = tmp_path / "short.txt"
    plan.write_text("zero 0\nrising 60000\n")
    with IndicatorSimulator(deck, period=0.05) as sim:
        code, out, err = Technician([*common(sim.port, db_url), "--script", str(plan), "--in-service",
                                     "--json"], deck.place).finish()
    assert code == 0, err
    assert json.loads(out.splitlines()[1])["step"]["mpe_kg"] == "60"


def test_interactive_flow_waits_for_enter(tmp_path, db_url) -> None:
    deck = Deck()
    with IndicatorSimulator(deck, period=0.05) as sim:
        tech = Technician([*common(sim.port, db_url), "--loads", "10000", "--sections", "0", "--json"],
                          deck.place, enter=True)
        code, out, err = tech.finish()
    assert code == 0, err
    assert tech.steps == [("zero", 0), ("rising", 10000), ("zero", 0)]
    assert json.loads(out.splitlines()[-1])["passed"] is True


def test_no_confirmation_exits_2(db_url) -> None:
    deck = Deck()
    with IndicatorSimulator(deck, period=0.05) as sim:
        tech = Technician([*common(sim.port, db_url), "--loads", "10000", "--sections", "0"], deck.place)
        tech.proc.stdin.close()   # nobody at the keyboard
        code, _out, err = tech.finish()
    assert code == 2 and "stdin closed" in err


@pytest.mark.parametrize(("flag", "value", "why"), [
    ("--e", "30", "not 1, 2 or 5"), ("--max", "abc", "not a number"), ("--loads", "70000", "Max"),
    ("--max", "600000", "outside 500..10000"), ("--protocol", "nope", "nope")])
def test_bad_input_exits_2_before_touching_anything(tmp_path, flag, value, why) -> None:
    from typer.testing import CliRunner

    from intake.cli.scale import app

    db_url = f"sqlite:///{tmp_path / 'gate.db'}"   # not made: the input is refused before the database is asked for

    args = ["verify", "--port", "loop://", "--protocol", "toledo", "--max", "60000", "--e", "20",
            "--db", db_url, "--key", "env:METRO_KEY"]
    if flag in args:
        args[args.index(flag) + 1] = value
    else:
        args += [flag, value]
    result = CliRunner().invoke(app, args, env={"METRO_KEY": KEY})
    assert result.exit_code == 2, result.output
    assert why in result.stderr
    assert not (tmp_path / "gate.db").exists()
