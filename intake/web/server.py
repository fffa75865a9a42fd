"""Run the web app with uvicorn, inside the gate's event loop or in a thread of its own.

Which one to use:
- The gate (production, `intake demo`, `intake run`): `await WebServer(app, port=P).serve(started)`
  as a task in the gate's own asyncio loop. The StatusHub is not thread-safe (publish() wakes
  asyncio queues), and this way the gate publishes and the kiosk streams read on one thread.
- Tests and tools that have no loop: `WebServer(app).start()` runs uvicorn on a loop in a
  background thread. Anything touching the hub must then go through `server.call(...)`,
  e.g. `server.call(hub.publish, status)`, which runs it on that loop.

Port 0 binds a free port; `url` tells which once bound. uvicorn's own signal handling is
switched off: the gate owns SIGINT/SIGTERM and stops the server itself. On stop, an app
with `app.state.close_streams` (create_app sets it) is told to end its event streams, so
they finish cleanly instead of being cancelled after GRACEFUL_SHUTDOWN_S.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import socket
import threading
from collections.abc import Callable, Generator
from typing import Any, Final, TypeVar

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from starlette.types import ASGIApp

T = TypeVar("T")

# Requests still running this long after stop is asked for are cancelled.
GRACEFUL_SHUTDOWN_S: Final[int] = 1


class _NoDelayH11(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with TCP_NODELAY on each connection. uvicorn writes a
    response's head and body separately; with Nagle on, the body waits for the client's delayed
    ACK of the head on a kept-alive connection: about 40 ms added to every request after the
    first (measured: a keep-alive /favicon.ico 44 ms without, 1.4 ms with)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


class _Uvicorn(uvicorn.Server):
    """uvicorn.Server that leaves signals alone, reports when it is accepting, and lets the
    app end its endless responses before uvicorn waits for them."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_started = on_started

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._on_started()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()  # no new streams from here on (closing twice is harmless)
        close_streams = getattr(getattr(self.config.app, "state", None), "close_streams", None)
        if callable(close_streams):
            close_streams()
        await super().shutdown(sockets=sockets)


class WebServer:
    """One uvicorn server for one app; single use (make a new one to serve again)."""

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0,
                 forwarded_allow_ips: list[str] | None = None) -> None:
        """forwarded_allow_ips: the reverse proxies whose X-Forwarded-For/-Proto are believed.
        None or empty: no one's, the connection's own address is the client (uvicorn would
        otherwise believe loopback, so any local process could pose as any address)."""
        self._host = host
        self._port = port
        self._config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,  # the gate configures logging; uvicorn must not replace it
            access_log=False,  # kiosk streams and health probes would flood the log
            ws="none",
            http=_NoDelayH11,
            lifespan="on",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
            proxy_headers=bool(forwarded_allow_ips),
            forwarded_allow_ips=list(forwarded_allow_ips or []),
        )
        self._started = threading.Event()
        self._started_in_loop: asyncio.Event | None = None
        self._server = _Uvicorn(self._config, self._on_started)
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None

    @property
    def port(self) -> int:
        if self._sock is None:
            raise RuntimeError("not bound yet")
        return self._port

    @property
    def url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    def _bind(self) -> socket.socket:
        # Binding ourselves (rather than letting uvicorn) makes port 0 usable: we learn the
        # port before serving, and a busy port fails here, in the caller, not in a log line.
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.create_server((self._host, self._port), family=family)
        self._port = sock.getsockname()[1]
        self._sock = sock
        return sock

    async def serve(self, started: asyncio.Event | None = None) -> None:
        """Serve in the running loop until request_stop() or cancellation of this task.

        Cancelling still shuts down gracefully (open streams are cut after
        GRACEFUL_SHUTDOWN_S) before the CancelledError propagates.
        """
        self._loop = asyncio.get_running_loop()
        sock = self._sock or self._bind()
        self._started_in_loop = started
        inner = asyncio.create_task(self._server.serve(sockets=[sock]), name="web-server")
        try:
            await asyncio.shield(inner)
        except asyncio.CancelledError:
            self._server.should_exit = True
            await inner
            raise
        finally:
            sock.close()

    def _on_started(self) -> None:
        # Called on the serving loop: the asyncio event is safe here, the threading one anywhere.
        self._started.set()
        if self._started_in_loop is not None:
            self._started_in_loop.set()

    def request_stop(self) -> None:
        """Ask the server to stop; safe from any thread (uvicorn polls this flag)."""
        self._server.should_exit = True

    # --- threaded variant ------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> None:
        """Bind, then serve on a fresh loop in a daemon thread; returns once accepting."""
        if self._thread is not None:
            raise RuntimeError("a WebServer serves once; create a new one")
        self._bind()
        self._thread = threading.Thread(target=self._run_thread, name="web-server", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout) or self._error is not None:
            self.stop()
            raise RuntimeError(f"web server did not start: {self._error!r}")

    def _run_thread(self) -> None:
        try:
            asyncio.run(self.serve())
        except BaseException as exc:  # reported to start(); a thread has nobody else to tell
            self._error = exc
        finally:
            self._started.set()  # unblock start() if startup never completed

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the threaded server and wait for its thread; open streams are cut."""
        self.request_stop()
        if self._thread is None:
            return
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout)
        if self._thread.is_alive():
            raise RuntimeError("web server thread did not stop")

    def call(self, fn: Callable[..., T], *args: Any, timeout: float = 5.0) -> T:
        """Run fn(*args) on the server's loop thread and return its result (threaded mode)."""
        loop = self._loop
        if loop is None or self._thread is None or not self._thread.is_alive():
            raise RuntimeError("call() needs a running threaded server")
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn(*args))
            except BaseException as exc:
                future.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return future.result(timeout)


async def serve(app: ASGIApp, host: str, port: int, started: asyncio.Event | None = None) -> None:
    """Serve app in the running loop until cancelled. Use WebServer directly to learn the port
    when port is 0."""
    await WebServer(app, host, port).serve(started)
