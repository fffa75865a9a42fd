"""`intake scale calibrate` against the simulated Modbus load-cell transmitter; the event
counters (000-999, +1 per session with a change, kept across restarts); the atomic file."""
from __future__ import annotations

import asyncio
import json
import threading

import pytest
from sqlmodel import Session, select

from hardware.modbus.loadcell_sim import LoadCellSimulator
from intake.metrology import calfile
from intake.metrology.counters import bump, current_counters, note_configuration
from intake.metrology.tables import CalibrationRecord, EventCounter
from intake.store.audit import verify as verify_chain
from intake.store.chain import ChainError
from intake.store.db import open_engine
from tests.intake.metrology.conftest import ADMIN, KEY, REVIEWER, Technician

pytestmark = pytest.mark.timeout(90)


class SimThread:
    """The transmitter simulator on its own event loop, as a separate device would be."""

    def __init__(self, **kw) -> None:
        self.loop = asyncio.new_event_loop()
        self.sim = LoadCellSimulator(**kw)
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.port = asyncio.run_coroutine_threadsafe(self.sim.start(), self.loop).result(5)

    def place(self, _kind, load) -> None:
        self.loop.call_soon_threadsafe(self.sim.set_load, float(load))

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.sim.stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)


def calibrate(port: int, db_url: str, file, *extra: str, user: str = ADMIN) -> list[str]:
    return ["scale", "calibrate", "--modbus", f"127.0.0.1:{port}", "--max", "60000", "--e", "20",
            "--file", str(file), "--loads", "0,20000,40000,60000", "--samples", "10",
            "--point-timeout", "15", "--db", db_url, "--key", "env:METRO_KEY", "--json",
            "--user", user, *extra]


def test_accepted_calibrations_count_and_keep_backups(tmp_path, staff_db) -> None:
    db_url = staff_db
    dev, file = SimThread(bow_counts=100), tmp_path / "cal" / "loadcell.json"
    try:
        code, out, err = Technician(calibrate(dev.port, db_url, file), dev.place, enter=True,
                                    answer="yes").finish()
        assert code == 0, err
        first = json.loads(out)
        assert first["accepted"] and first["calibration_counter"] == 1 and first["backup"] is None
        assert first["gain_kg_per_count"] == pytest.approx(1 / 40, rel=1e-3)
        dev.sim.counts_per_kg = 41.0                     # the cell drifted: recalibrate
        code, out, err = Technician(calibrate(dev.port, db_url, file, "--accept"), dev.place,
                                    enter=True).finish()
        assert code == 0, err
        second = json.loads(out)
        assert second["calibration_counter"] == 2 and second["backup"]
        assert json.loads(open(second["backup"]).read())["calibration_counter"] == 1
        content = json.loads(file.read_text())
        assert content["calibration_counter"] == 2
        engine = open_engine(db_url, KEY.encode())        # a restart keeps the counters
        assert current_counters(engine) == (2, 0)
        with Session(engine) as session:
            records = session.exec(select(CalibrationRecord)).all()
        assert [r.cal_counter for r in records] == [1, 2]
        assert [r.technician for r in records] == [ADMIN, ADMIN]   # who did them
        assert records[-1].file_sha256 == calfile.sha256(file.read_bytes())
        assert verify_chain(engine, KEY.encode()).ok
    finally:
        dev.close()


def test_declined_and_refused_calibrations_change_nothing(tmp_path, staff_db) -> None:
    db_url = staff_db
    dev, file = SimThread(bow_counts=3000), tmp_path / "loadcell.json"   # bowed: 75 kg at Max
    try:
        code, out, err = Technician(calibrate(dev.port, db_url, file, "--accept"), dev.place,
                                    enter=True).finish()
        assert code == 1 and "linearity" in json.loads(out)["problems"][0], err
        dev.sim.bow_counts = 0
        code, out, err = Technician(calibrate(dev.port, db_url, file), dev.place, enter=True,
                                    answer="no").finish()
        assert code == 0 and json.loads(out)["accepted"] is False, err
        dev.sim.zero_counts = 8_000_000                   # Max now beyond the 24-bit ADC
        code, out, err = Technician(calibrate(dev.port, db_url, file, "--accept"), dev.place,
                                    enter=True).finish()
        assert code == 1 and "saturated" in " ".join(json.loads(out)["problems"]), err
    finally:
        dev.close()
    assert not file.exists()
    assert current_counters(open_engine(db_url, KEY.encode())) == (0, 0)


@pytest.mark.parametrize(("user", "password", "why"), [
    (REVIEWER, None, "needs an admin account"),
    (ADMIN, "not-the-password-0", "wrong user name or password"),
    ("nobody", None, "wrong user name or password"),
])
def test_calibration_is_refused_to_anyone_but_an_authenticated_admin(
        tmp_path, staff_db, user, password, why) -> None:
    dev, file = SimThread(), tmp_path / "loadcell.json"
    placed: list = []
    try:
        args = calibrate(dev.port, staff_db, file, "--accept", user=user)
        technician = Technician(args, lambda kind, load: placed.append(load), enter=True,
                                **({} if password is None else {"password": password}))
        code, out, err = technician.finish()
    finally:
        dev.close()
    assert code == 1 and why in err and "refused" in err, err
    assert placed == [] and not file.exists()   # refused before any load was asked for
    assert current_counters(open_engine(staff_db, KEY.encode())) == (0, 0)


def test_calibrate_without_user_is_bad_usage(tmp_path, staff_db) -> None:
    args = [a for a in calibrate(1, staff_db, tmp_path / "f.json") if a not in ("--user", ADMIN)]
    code, _, err = Technician(args, lambda *_: None).finish()
    assert code == 2 and "--user" in err


def test_counter_wraps_at_999_and_ignores_sessions_without_change(db_url) -> None:
    engine = open_engine(db_url, KEY.encode())
    with Session(engine) as session:
        assert bump(session, "calibration", {}, "t") is None
        for n in range(1001):
            bump(session, "calibration", {"zero_counts": [n, n + 1]}, "t")
            session.flush()
        session.commit()
    assert current_counters(engine) == (1, 0)            # 1001 steps: 999, 000, 001
    with Session(engine) as session:
        values = [r.value for r in session.exec(select(EventCounter).order_by(EventCounter.total))]
    assert values[998:] == [999, 0, 1]


def test_configuration_counter_counts_sessions_with_changes(db_url) -> None:
    engine = open_engine(db_url, KEY.encode())
    params = {"max_kg": "60000", "e_kg": "20", "stable_time_s": 0.5}
    assert note_configuration(engine, params, "start").value == 1
    assert note_configuration(engine, params, "restart") is None
    changed = note_configuration(engine, dict(params, e_kg="10", stable_time_s=1.0), "edit")
    assert changed.value == 2 and changed.parameters == {"e_kg": ["20", "10"], "stable_time_s": [0.5, 1.0]}
    assert current_counters(open_engine(db_url, KEY.encode())) == (0, 2)
    with Session(engine) as session, pytest.raises(ChainError):
        row = session.exec(select(EventCounter)).first()
        row.value = 0
        session.commit()


def test_atomic_save_keeps_the_old_file_when_the_rename_fails(tmp_path, monkeypatch) -> None:
    path = tmp_path / "c.json"
    assert calfile.save_atomic(path, b"old") is None
    def broken(*_a):
        raise OSError("disk full")
    monkeypatch.setattr(calfile.os, "replace", broken)
    with pytest.raises(calfile.CalibrationFileError):
        calfile.save_atomic(path, b"new")
    assert path.read_bytes() == b"old"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
