"""The centre's mark is the site's checkpoint off the gate PC: a gate database restored from an
older copy, or with its chain rewritten, is refused at the next sync round and closes the lanes,
even when its local checkpoint went back with it."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from hardware.sim.trucks import DEMO_MIX
from intake.store.db import open_engine
from intake.store.integrity import REFUSAL, state_for
from intake.store.records import Records, Refusal
from intake.sync.client import catch_up
from intake.sync.receiver import RolledBack
from tests.intake.sync.conftest import KEY, SITE


def test_a_database_restored_from_an_older_copy_is_refused_and_closes_the_lanes(gate, central, tmp_path):
    gate.write(20)
    db = Path(gate.engine.url.database or "")
    old = tmp_path / "yesterday.db"
    shutil.copy(db, old)                         # a copy taken now ...
    gate.write(20)
    assert catch_up(gate.engine, central, SITE, KEY).high_seq == gate.records   # ... the centre has more
    restored = open_engine(f"sqlite:///{old}", KEY)
    try:
        with pytest.raises(RolledBack, match="ends before it"):
            catch_up(restored, central, SITE, KEY)
        state = state_for(restored)
        assert not state.ok and "rolled back behind the centre" in (state.problem or "")
        refused = Records(restored).admit(DEMO_MIX[0].plate, "1")
        assert isinstance(refused, Refusal) and refused.reason == REFUSAL
    finally:
        restored.dispose()


def test_a_rewritten_link_the_centre_holds_is_refused(gate, central):
    gate.write(10)
    high = catch_up(gate.engine, central, SITE, KEY).high_seq
    con = sqlite3.connect(gate.engine.url.database or "")
    with con:
        con.execute("UPDATE chainlink SET mac = ? WHERE seq = ?", ("0" * 64, high))
    con.close()
    with pytest.raises(RolledBack, match=f"link {high} differs"):
        catch_up(gate.engine, central, SITE, KEY)
    assert not state_for(gate.engine).ok


def test_a_gate_that_is_only_ahead_of_the_centre_syncs_on(gate, central):
    gate.write(5)
    catch_up(gate.engine, central, SITE, KEY)
    gate.write(5)
    assert catch_up(gate.engine, central, SITE, KEY).high_seq == gate.records
    assert state_for(gate.engine).ok
