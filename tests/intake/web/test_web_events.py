"""The kiosk event stream against a real uvicorn: delivery, heartbeat, cleanup on every exit."""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from intake.lane.status import LaneStatus, LaneStep, StatusHub
from intake.web.app import create_app
from intake.web.headers import SECURITY_HEADERS
from intake.web.server import WebServer


class CountingHub(StatusHub):
    """A StatusHub that says how many subscriptions are open, to prove streams clean up."""

    def __init__(self) -> None:
        super().__init__()
        self.open = 0

    def subscribe(self, lane: str) -> asyncio.Queue[LaneStatus]:
        self.open += 1
        return super().subscribe(lane)

    def unsubscribe(self, lane: str, queue: asyncio.Queue[LaneStatus]) -> None:
        self.open -= 1
        super().unsubscribe(lane, queue)


def events(response: httpx.Response) -> Iterator[tuple[str, str]]:
    """(event name, data) pairs from a text/event-stream response."""
    name, data = "message", ""
    for line in response.iter_lines():
        if line == "":
            if data:
                yield name, data
            name, data = "message", ""
        elif line.startswith("event: "):
            name = line[len("event: "):]
        elif line.startswith("data: "):
            data = line[len("data: "):]


def wait_until(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


@pytest.fixture
def counting() -> Iterator[tuple[CountingHub, WebServer]]:
    hub = CountingHub()
    hub.publish(LaneStatus(lane="1"))
    server = WebServer(create_app(hub, heartbeat_s=0.3, max_streams=2))
    server.start()
    try:
        yield hub, server
    finally:
        server.stop()


def test_stream_sends_current_then_published_status(live: WebServer, hub: StatusHub) -> None:
    with httpx.stream("GET", f"{live.url}/kiosk/1/events", timeout=5) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        for header, value in SECURITY_HEADERS.items():
            assert response.headers[header] == value
        stream = events(response)
        name, data = next(stream)
        assert name == "status" and LaneStatus.model_validate_json(data).step is LaneStep.IDLE

        weighing = LaneStatus(lane="1", step=LaneStep.WEIGHING_IN, weight_kg=32480, weight_stable=False)
        live.call(hub.publish, weighing)
        name, data = next(e for e in stream if e[0] == "status")
        assert LaneStatus.model_validate_json(data) == weighing


def test_stream_carries_only_its_own_lane(live: WebServer, hub: StatusHub) -> None:
    live.call(hub.publish, LaneStatus(lane="2"))
    with httpx.stream("GET", f"{live.url}/kiosk/1/events", timeout=5) as response:
        stream = events(response)
        next(stream)
        live.call(hub.publish, LaneStatus(lane="2", step=LaneStep.SAMPLING))
        live.call(hub.publish, LaneStatus(lane="1", step=LaneStep.ARRIVING, plate="A1"))
        name, data = next(e for e in stream if e[0] == "status")
        assert json.loads(data)["lane"] == "1" and json.loads(data)["plate"] == "A1"


def test_quiet_stream_sends_heartbeats(live: WebServer) -> None:
    with httpx.stream("GET", f"{live.url}/kiosk/1/events", timeout=5) as response:
        stream = events(response)
        assert next(stream)[0] == "status"
        assert next(stream) == ("heartbeat", "{}")
        assert next(stream) == ("heartbeat", "{}")


def test_client_disconnect_unsubscribes(counting: tuple[CountingHub, WebServer]) -> None:
    hub, server = counting
    with httpx.stream("GET", f"{server.url}/kiosk/1/events", timeout=5) as response:
        stream = events(response)  # keep a reference: dropping the generator closes the response
        next(stream)
        assert server.call(lambda: hub.open) == 1
    wait_until(lambda: server.call(lambda: hub.open) == 0)


def test_open_streams_are_limited(counting: tuple[CountingHub, WebServer]) -> None:
    hub, server = counting
    url = f"{server.url}/kiosk/1/events"
    with httpx.stream("GET", url, timeout=5) as first, httpx.stream("GET", url, timeout=5) as second:
        streams = [events(first), events(second)]
        for stream in streams:
            next(stream)
        assert httpx.get(url, timeout=5).status_code == 503
    wait_until(lambda: server.call(lambda: hub.open) == 0)
    with httpx.stream("GET", url, timeout=5) as again:
        assert again.status_code == 200


def test_server_stop_ends_open_streams_cleanly(counting: tuple[CountingHub, WebServer]) -> None:
    hub, server = counting
    with httpx.stream("GET", f"{server.url}/kiosk/1/events", timeout=5) as response:
        stream = events(response)
        next(stream)
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 0.9  # ended by the app, not cut by uvicorn's grace timeout
        list(stream)  # the response is complete: iteration ends, no error, no hang
    assert hub.open == 0
