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


def _stream_from(address: str, url: str) -> httpx.Client:
    # Loopback is all of 127/8: a client bound to 127.0.0.N is another source address.
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=5)


@pytest.fixture
def limited() -> Iterator[tuple[CountingHub, WebServer]]:
    hub = CountingHub()
    hub.publish(LaneStatus(lane="1"))
    server = WebServer(create_app(hub, heartbeat_s=0.3, max_streams=3, max_streams_per_client=2,
                                  kiosk_display_token="screen-1"))
    server.start()
    try:
        yield hub, server
    finally:
        server.stop()


def test_one_client_cannot_hold_more_than_its_share(limited: tuple[CountingHub, WebServer]) -> None:
    hub, server = limited
    url = f"{server.url}/kiosk/1/events"
    client = _stream_from("127.0.0.2", url)
    with client.stream("GET", url) as first, client.stream("GET", url) as second:
        old, kept = events(first), events(second)
        next(old), next(kept)
        with client.stream("GET", url) as third:
            assert third.status_code == 200
            newest = events(third)
            next(newest)
            assert all(name == "heartbeat" for name, _ in old)    # the oldest one ended
            assert next(kept)[0] == "heartbeat" and next(newest)[0] == "heartbeat"
            assert server.call(lambda: hub.open) == 2
    wait_until(lambda: server.call(lambda: hub.open) == 0)


def test_strangers_filling_the_limit_cannot_shut_out_the_kiosk(limited: tuple[CountingHub, WebServer]) -> None:
    hub, server = limited
    url = f"{server.url}/kiosk/1/events"
    kiosk = _stream_from("127.0.0.9", url)
    with kiosk.stream("GET", f"{url}?display=screen-1") as screen:
        display = events(screen)
        next(display)
        for round_ in range(3):          # strangers from many addresses keep opening streams
            holders = [_stream_from(f"127.0.1.{round_ * 4 + i}", url) for i in range(4)]
            opened = [h.stream("GET", url) for h in holders]
            replies = [o.__enter__() for o in opened]
            assert [r.status_code for r in replies] == [200] * 4
            for o in opened:
                o.__exit__(None, None, None)
        assert next(display)[0] in ("heartbeat", "status")     # the kiosk's stream lives on
    wait_until(lambda: server.call(lambda: hub.open) == 0)


def test_when_full_the_oldest_strangers_stream_makes_room(counting: tuple[CountingHub, WebServer]) -> None:
    hub, server = counting     # max_streams=2, no display token: nobody is preferred
    url = f"{server.url}/kiosk/1/events"
    a, b = _stream_from("127.0.0.2", url), _stream_from("127.0.0.3", url)
    with a.stream("GET", url) as first:
        old = events(first)
        next(old)
        with b.stream("GET", url) as second, _stream_from("127.0.0.4", url).stream("GET", url) as third:
            assert second.status_code == 200 and third.status_code == 200
            assert all(name == "heartbeat" for name, _ in old)    # the oldest made room
    wait_until(lambda: server.call(lambda: hub.open) == 0)


def test_registry_prefers_kiosk_screens_and_refuses_strangers_only_when_all_are_screens() -> None:
    from intake.web.events import StreamRegistry

    async def scenario() -> None:
        reg = StreamRegistry(max_streams=2, max_per_client=2)
        stranger = reg.admit("10.0.0.5")
        screens = [reg.admit("10.0.0.1", preferred=True), reg.admit("10.0.0.2", preferred=True)]
        assert stranger is not None and stranger.is_set() and reg.evicted == 1
        assert reg.admit("10.0.0.6") is None                     # all slots are kiosk screens
        restarted = reg.admit("10.0.0.3", preferred=True)          # a screen still gets in
        assert restarted is not None and screens[0] is not None and screens[0].is_set()
        assert reg.open == 2

    async def same_address() -> None:
        reg = StreamRegistry(max_streams=8, max_per_client=2)
        screen = reg.admit("127.0.0.1", preferred=True)
        local = [reg.admit("127.0.0.1") for _ in range(5)]   # a local process beside the kiosk
        assert screen is not None and not screen.is_set() and all(s is not None for s in local)

    asyncio.run(scenario())
    asyncio.run(same_address())
