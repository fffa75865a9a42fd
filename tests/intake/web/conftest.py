"""Fixtures for the web tests: a hub with one lane, the app, an in-process client, a live server."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from intake.lane.status import LaneStatus, StatusHub
from intake.web.app import create_app
from intake.web.server import WebServer


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
