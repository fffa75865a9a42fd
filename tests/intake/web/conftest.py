"""Fixtures for the web tests: a hub with one lane, the app, an in-process client, a live server;
for the staff pages a real SQLite store with review data and logged-in clients."""
from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from fastapi import FastAPI
from fastapi.testclient import TestClient

from intake.auth.users import Users
from intake.lane.status import LaneStatus, StatusHub
from intake.web.app import create_app
from intake.web.server import WebServer
from intake.web.staff import StaffSettings
from tests.intake.web.review_seed import SEED_NOW, Seeded, add_item, day, make_engine, plates, seed_master
from tests.intake.web.staff_support import STAFF_PASSWORD, Store, csrf_of, login  # noqa: F401  (re-exported for fixtures)


@pytest.fixture
def hub() -> StatusHub:
    hub = StatusHub()
    hub.publish(LaneStatus(lane="1"))
    return hub


@pytest.fixture
def app(hub: StatusHub) -> FastAPI:
    return create_app(hub, heartbeat_s=0.3)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def live(app: FastAPI) -> Iterator[WebServer]:
    """The app on a real uvicorn in a thread; touch the hub only through live.call()."""
    server = WebServer(app)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# ---- staff pages: a real SQLite store with review data, the app on a real uvicorn ----------



@pytest.fixture(scope="session")
def store_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Seeded]]:
    """Built once: decided visits of two suppliers over six days (rejects, reviews, a pass, an
    unsampled truck) with real frame files, and two users. Each test gets its own copy."""
    root = tmp_path_factory.mktemp("store")
    engine = make_engine(root / "gate.db")
    data_dir = root / "data"
    seed_master(engine)
    sand, gravel = plates()
    items = []
    for i in range(6):
        items.append(add_item(engine, data_dir, plate=sand, verdict="reject", label="muddy", reasons=["muddy"],
                              at=day(i), probs={"clean_sand": 0.08, "muddy": 0.9, "foreign": 0.02}))
    for i in range(3):
        items.append(add_item(engine, data_dir, plate=gravel, verdict="review", label="clean_gravel",
                              reasons=["low_confidence"], at=day(i).replace(hour=9), confidence=0.5))
    items.append(add_item(engine, data_dir, plate=gravel, verdict="pass", label="clean_gravel", reasons=[],
                          at=day(1).replace(hour=8)))
    items.append(add_item(engine, data_dir, plate=sand, verdict=None, label=None, reasons=[], at=day(2),
                          sampled=False))
    users = Users(engine)
    users.add("rev", STAFF_PASSWORD, "reviewer")
    users.add("adm", STAFF_PASSWORD, "admin")
    engine.dispose()
    return root, items


@pytest.fixture
def store(store_template: tuple[Path, list[Seeded]], tmp_path: Path) -> Store:
    root, items = store_template
    shutil.copytree(root, tmp_path, dirs_exist_ok=True)
    return Store(make_engine(tmp_path / "gate.db"), tmp_path / "data", items)


@pytest.fixture
def staff_server(hub: StatusHub, store: Store) -> Iterator[WebServer]:
    settings = StaffSettings(today=SEED_NOW.date)   # the pages' "today" is the seeds' today
    server = WebServer(create_app(hub, heartbeat_s=0.3, engine=store.engine, data_dir=store.data_dir,
                                  staff=settings))
    server.start()
    try:
        yield server
    finally:
        server.stop()
