"""WebServer: free port, threaded start/stop/restart, and serving inside the caller's loop."""
from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI, Request

from intake.lane.status import LaneStatus, StatusHub
from intake.web.app import create_app
from intake.web.server import WebServer


@pytest.fixture
def app_hub() -> tuple[FastAPI, StatusHub]:
    hub = StatusHub()
    hub.publish(LaneStatus(lane="1"))
    return create_app(hub), hub


def test_threaded_server_on_a_free_port_restarts_on_the_same_port(app_hub: tuple[FastAPI, StatusHub]) -> None:
    app, _ = app_hub
    first = WebServer(app)
    first.start()
    port = first.port
    assert port > 0 and first.url == f"http://127.0.0.1:{port}"
    assert httpx.get(f"{first.url}/health").json()["status"] == "ok"
    first.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{first.url}/health")

    second = WebServer(app, port=port)
    second.start()
    try:
        assert httpx.get(f"{second.url}/health").status_code == 200
    finally:
        second.stop()


def test_busy_port_fails_in_start(app_hub: tuple[FastAPI, StatusHub]) -> None:
    app, _ = app_hub
    first = WebServer(app)
    first.start()
    try:
        with pytest.raises(OSError):
            WebServer(app, port=first.port).start()
    finally:
        first.stop()


def test_a_server_serves_once(app_hub: tuple[FastAPI, StatusHub]) -> None:
    server = WebServer(app_hub[0])
    server.start()
    try:
        with pytest.raises(RuntimeError):
            server.start()
    finally:
        server.stop()


def test_serve_in_the_callers_loop_shares_the_hub_and_stops_on_cancel(app_hub: tuple[FastAPI, StatusHub]) -> None:
    app, hub = app_hub

    async def gate() -> None:
        server = WebServer(app)
        started = asyncio.Event()
        task = asyncio.create_task(server.serve(started))
        await asyncio.wait_for(started.wait(), 5)
        async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
            async with client.stream("GET", "/kiosk/1/events") as response:
                lines = response.aiter_lines()
                assert await anext(lines) == "retry: 2000"
                # Same loop, same thread: the gate publishes directly.
                hub.publish(LaneStatus(lane="1", plate="AB-123"))
                async for line in lines:
                    if '"plate":"AB-123"' in line:
                        break
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await asyncio.wait_for(task, 5)
        assert hub._subs["1"] == set()  # the stream let go of its queue

    asyncio.run(gate())


def test_request_stop_ends_serve(app_hub: tuple[FastAPI, StatusHub]) -> None:
    async def gate() -> None:
        server = WebServer(app_hub[0])
        started = asyncio.Event()
        task = asyncio.create_task(server.serve(started))
        await asyncio.wait_for(started.wait(), 5)
        server.request_stop()
        await asyncio.wait_for(task, 5)

    asyncio.run(gate())


def _client_seen(server_kwargs: dict) -> str:
    """The client address a request is attributed to, sent from loopback with a forged header."""
    probe = FastAPI()

    @probe.get("/who")
    async def who(request: Request) -> dict[str, str]:
        return {"client": request.client.host if request.client else "?"}

    server = WebServer(probe, **server_kwargs)
    server.start()
    try:
        reply = httpx.get(f"{server.url}/who", headers={"X-Forwarded-For": "203.0.113.7"}, timeout=10)
        return reply.json()["client"]
    finally:
        server.stop()


def test_forwarded_headers_are_ignored_unless_a_proxy_is_configured() -> None:
    assert _client_seen({}) == "127.0.0.1"      # uvicorn's own default trusts loopback's header
    assert _client_seen({"forwarded_allow_ips": ["127.0.0.1"]}) == "203.0.113.7"
