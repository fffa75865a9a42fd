"""Server-Sent Events: one lane's status snapshots, streamed to a kiosk page.

Wire format (text/event-stream):
    retry: <ms>                      once, how soon the browser reconnects after a drop
    event: status / data: <LaneStatus JSON>     the current snapshot first, then every change
    event: heartbeat / data: {}      when nothing changed for heartbeat_s seconds

The heartbeat is a named event, not an SSE comment, because browsers hide comments from
scripts: the page needs to see traffic to tell a silent dead link from a quiet lane.
"""
from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Final

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from intake.lane.status import LaneStatus, StatusHub

RECONNECT_MS: Final[int] = 2000

STREAM_HEADERS: Final[dict[str, str]] = {
    "Cache-Control": "no-store",
    "X-Accel-Buffering": "no",  # a reverse proxy must not buffer the stream
}


def status_event(status: LaneStatus) -> str:
    # pydantic's JSON is a single line, so one data: field carries it whole.
    return f"event: status\ndata: {status.model_dump_json()}\n\n"


HEARTBEAT_EVENT: Final[str] = "event: heartbeat\ndata: {}\n\n"


@dataclass
class _Open:
    client: str
    preferred: bool
    order: int


class StreamRegistry:
    """The open streams: bounded per client and in total, and all ended at once on stop.

    No client can starve the others: a client at its own limit replaces its oldest stream, and
    when the total is reached the oldest stream of a client that is not preferred (a kiosk
    display presenting its token) is ended to make room. A newcomer that is not preferred
    is refused only when every open stream is preferred.

    Ending them ourselves (rather than letting uvicorn cancel them after its grace period)
    finishes each response cleanly, so the browser just reconnects and nothing logs a
    cancellation traceback. Use from the event loop thread only.
    """

    def __init__(self, max_streams: int, max_per_client: int = 4) -> None:
        self.max_streams = max_streams
        self.max_per_client = max_per_client
        self.evicted = 0
        self._open: dict[asyncio.Event, _Open] = {}
        self._order = itertools.count()

    @property
    def open(self) -> int:
        return len(self._open)

    def admit(self, client: str, preferred: bool = False) -> asyncio.Event | None:
        """A stop event for a new stream from `client`, after making room; None: refused."""
        # A screen with the token is not counted with strangers from its address (on the gate's
        # own box the kiosk and any local process are both 127.0.0.1).
        own = [stop for stop, s in self._open.items() if s.client == client and s.preferred == preferred]
        if len(own) >= self.max_per_client:
            self._evict(own)
        elif self.open >= self.max_streams:
            others = [stop for stop, s in self._open.items() if not s.preferred]
            if not others and not preferred:
                return None
            self._evict(others or list(self._open))
        stop = asyncio.Event()
        self._open[stop] = _Open(client, preferred, next(self._order))
        return stop

    def _evict(self, candidates: list[asyncio.Event]) -> None:
        oldest = min(candidates, key=lambda stop: self._open[stop].order)
        oldest.set()
        self.remove(oldest)
        self.evicted += 1

    def remove(self, stop: asyncio.Event) -> None:
        self._open.pop(stop, None)

    def close_all(self) -> None:
        for stop in list(self._open):
            stop.set()


class LaneEventStream(StreamingResponse):
    """Streams hub updates for one lane until the client leaves or the server stops.

    The subscription is made and dropped in __call__, around the whole response, so the hub
    forgets this client on every way out (disconnect, shutdown, cancellation), not only
    when an async generator happens to be finalised.
    """

    def __init__(self, hub: StatusHub, lane: str, heartbeat_s: float, streams: StreamRegistry,
                 stop: asyncio.Event, shown: Callable[[LaneStatus], LaneStatus] = lambda s: s) -> None:
        self._hub = hub
        self._shown = shown   # what the kiosk shows for a snapshot (a gate-wide hold overrides it)
        self._lane = lane
        self._heartbeat_s = heartbeat_s
        self._streams = streams
        self._queue: asyncio.Queue[LaneStatus] | None = None
        self._stop = stop   # from streams.admit(): set when this stream is evicted or the server stops
        super().__init__(self._events(), media_type="text/event-stream", headers=STREAM_HEADERS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._queue = self._hub.subscribe(self._lane)
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._streams.remove(self._stop)
            self._hub.unsubscribe(self._lane, self._queue)

    async def _next(self) -> LaneStatus | None:
        """The next snapshot; None after heartbeat_s of quiet or when told to stop."""
        assert self._queue is not None, "iterated before __call__ subscribed"
        get = asyncio.ensure_future(self._queue.get())
        halt = asyncio.ensure_future(self._stop.wait())
        try:
            done, _ = await asyncio.wait({get, halt}, timeout=self._heartbeat_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (get, halt):
                task.cancel()
        return get.result() if get in done else None

    async def _events(self) -> AsyncIterator[str]:
        yield f"retry: {RECONNECT_MS}\n\n"
        while not self._stop.is_set():
            status = await self._next()
            if status is not None:
                yield status_event(self._shown(status))
            elif not self._stop.is_set():
                yield HEARTBEAT_EVENT
