"""The link and the server fail while the gate keeps working: a PostgreSQL restart in the middle
of a sync, and a partition during which the gate records trucks locally. Each ends complete and
exactly once, re-verified from what the centre stored."""
from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import text

from intake.sync.client import Backoff, Progress, SyncFailed, catch_up, run_background
from tests.intake.sync.conftest import KEY, SITE
from tests.intake.sync.test_sync import counts, verified


def test_server_restart_in_the_middle_of_a_sync(gate, central, pg_server):
    gate.write(600)                                   # 2428 records, 49 batches of 50
    started, restarted = threading.Event(), threading.Event()
    seen: list[Progress] = []

    def on_progress(p: Progress) -> None:
        seen.append(p)
        if len(seen) == 3:
            started.set()

    result: list[Progress | BaseException] = []

    def sync() -> None:
        try:
            result.append(catch_up(gate.engine, central, SITE, KEY, batch_size=50, on_progress=on_progress,
                                   backoff=Backoff(first_s=0.1, max_s=2.0, max_retries=20)))
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            result.append(exc)

    worker = threading.Thread(target=sync)
    worker.start()
    assert started.wait(60)
    at_restart = seen[-1].high_seq
    pg_server.restart("immediate")                    # kills in-flight transactions, crash recovery
    restarted.set()
    worker.join(120)
    assert not worker.is_alive()
    done = result[0]
    assert isinstance(done, Progress), done
    assert at_restart < gate.records and done.retries >= 1 and done.high_seq == gate.records
    assert counts(central) == (gate.records, 1, gate.records)
    verified(central, gate.records)
    with central.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM central_visit WHERE tare_kg IS NOT NULL")).scalar() == 600


def test_partition_gate_keeps_recording_then_catches_up(gate, central, pg_server):
    gate.write(50)
    assert catch_up(gate.engine, central, SITE, KEY).high_seq == gate.records
    pg_server.stop()
    try:
        gate.write(300)                               # the gate does not need the centre to work
        with pytest.raises(SyncFailed, match="unreachable"):
            catch_up(gate.engine, central, SITE, KEY, backoff=Backoff(first_s=0.01, max_retries=2))
    finally:
        pg_server.start()
    done = catch_up(gate.engine, central, SITE, KEY, batch_size=200)
    assert done.high_seq == gate.records and counts(central) == (gate.records, 1, gate.records)
    verified(central, gate.records)


def test_the_gates_background_task_catches_up_after_the_link_returns(gate, central, central_url, pg_server):
    gate.write(10)

    async def scenario() -> int:
        stop = asyncio.Event()
        pg_server.stop()
        task = asyncio.create_task(run_background(gate.engine, central_url, SITE, KEY, stop, interval_s=0.2))
        await asyncio.sleep(1.0)                      # rounds fail while the centre is down; the task lives on
        assert not task.done()
        gate.write(20)
        await asyncio.to_thread(pg_server.start)
        for _ in range(100):
            if counts(central)[0] == gate.records:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.wait_for(task, 10)
        return counts(central)[0]

    assert asyncio.run(scenario()) == gate.records
    verified(central, gate.records)
