"""`intake scale verify --change-point` on a simulated indicator whose display is rounded to
e: the technician adds 0.1 e weights when asked; an error the rounding hides is found."""
from __future__ import annotations

import json
import threading
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlmodel import Session, select

from hardware.scale.simulator import IndicatorSimulator
from intake.metrology.tables import VerificationRecord
from intake.store.db import open_engine
from tests.intake.metrology.conftest import KEY, Technician

pytestmark = pytest.mark.timeout(90)
E = Decimal(20)


class RoundingDeck:
    """True load + the scale's error, shown rounded to e; a change reads in motion briefly."""

    def __init__(self, error: dict[int, int]) -> None:
        self.error, self.load, self.small, self.motion_left = error, 0, Decimal(0), 0
        self._lock = threading.Lock()

    def place(self, _kind: str, load: Decimal) -> None:
        with self._lock:
            self.load, self.small, self.motion_left = int(load), Decimal(0), 3

    def add(self, total: Decimal) -> None:
        with self._lock:
            self.small, self.motion_left = total, 2

    def __call__(self) -> tuple[int, bool]:
        with self._lock:
            true = self.load + self.error.get(self.load, 0) + self.small
            shown = int((true / E).quantize(Decimal(1), rounding=ROUND_HALF_UP) * E)
            if self.motion_left:
                self.motion_left -= 1
                return shown + 60, True
            return shown, False


def test_change_point_finds_an_error_the_rounded_display_hides(tmp_path, db_url) -> None:
    deck = RoundingDeck({40_000: 25})        # at 2000 e the MPE is 1 e = 20 kg; rounded it shows 20
    plan = tmp_path / "plan.txt"
    plan.write_text("zero 0\nrising 40000\n")
    args = ["scale", "verify", "--protocol", "toledo", "--max", "60000", "--e", "20",
            "--db", db_url, "--key", "env:METRO_KEY", "--stable-time", "0.4", "--step-timeout", "20",
            "--script", str(plan), "--json", "--change-point"]
    with IndicatorSimulator(deck, period=0.05) as sim:
        tech = Technician([*args[:2], "--port", sim.port, *args[2:]],
                          deck.place, add=deck.add)
        code, out, err = tech.finish()
    assert code == 1, err
    steps = [json.loads(line)["step"] for line in out.splitlines()[:-1]]
    zero, load = steps
    # zero: the display steps 0 -> 20 once 10 kg is on: E0 = 0 + 10 - 10 = 0
    assert (zero["change_point_kg"], zero["error_kg"], zero["passed"]) == ("10", "0", True)
    # 40025 shows 40020; +6 kg shows 40040: E = 40020 + 10 - 6 - 40000 = 24 > 20
    assert (load["indication_kg"], load["change_point_kg"], load["error_kg"]) == ("40020", "6", "24")
    assert load["passed"] is False and load["mpe_kg"] == "20"
    assert tech.added == [Decimal(n) for n in (2, 4, 6, 8, 10, 2, 4, 6)]
    with Session(open_engine(db_url, KEY.encode())) as session:
        (record,) = session.exec(select(VerificationRecord)).all()
    assert not record.passed and record.steps[1]["change_point_kg"] == "6"
