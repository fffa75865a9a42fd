"""Frames from a camera: the only place in the project that opens `cv2.VideoCapture`.

Sources: a device index ("0"), a stream URL (rtsp://, http://, ...), a video file, an
image-sequence pattern ("dir/frame_%03d.png", read by OpenCV's CAP_IMAGES backend), or a still
image file (.jpg, .png, ...: decoded by cv2.imread, every grab reads it afresh).

A still image never goes through FFmpeg: OpenCV's FFmpeg backend opens one capture at a time
(a process-wide lock), so a stream camera whose open hangs would otherwise hold up every file
camera too, until FFmpeg's own timeout gives up.

Files and patterns are reopened on every grab, so images the simulator writes between grabs
are seen; when a sequence runs out before `n` frames it is read again from the start (a
still camera over a still tray). Devices and streams stay open between grabs and are
reopened, a bounded number of times, when a read fails.

Every OpenCV call that can block (open, read) runs on a worker thread with a deadline. A
call that overruns is abandoned: the caller gets `CameraError`, the capture it was using is
released by that thread when OpenCV finally returns, and the next call opens a fresh one.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Literal, TypeVar

import cv2
import numpy as np

log = logging.getLogger(__name__)

SourceKind = Literal["device", "stream", "file", "pattern", "still"]
STILL_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
_BACKSTOP = 2.0  # FFmpeg open/read timeouts, as a multiple of ours
T = TypeVar("T")


class CameraError(Exception):
    """No usable frames: cannot open, read timed out, stream lost, or empty frames."""


class _TimedOut(CameraError):
    """An OpenCV call overran its deadline; its thread still owns the capture."""


def source_kind(source: str) -> SourceKind:
    if source.strip().isdigit():
        return "device"
    if "://" in source and not source.startswith("file://"):
        return "stream"
    if "%" in source:
        return "pattern"
    return "still" if source.lower().endswith(STILL_SUFFIXES) else "file"


class Camera:
    """`timeout_s` bounds each open and each frame read (wall seconds)."""

    def __init__(self, source: str, timeout_s: float = 5.0, *, max_reopens: int = 2) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be > 0")
        self.source = source
        self.kind: SourceKind = source_kind(source)
        self.timeout_s = timeout_s
        self.max_reopens = max_reopens
        self._cap: cv2.VideoCapture | None = None  # kept open for devices and streams only
        self._stragglers: list[threading.Thread] = []  # abandoned calls still inside OpenCV
        self._lock = threading.Lock()  # one grab at a time: a capture is not thread-safe

    def grab(self, n: int) -> list[np.ndarray]:
        """`n` BGR frames (uint8, HxWx3), or CameraError."""
        if n < 1:
            raise ValueError("n must be >= 1")
        with self._lock:
            if self.kind == "still":
                return self._grab_still(n)
            if self.kind in ("file", "pattern"):
                return self._grab_reopening(n)
            return self._grab_live(n)

    async def grab_async(self, n: int) -> list[np.ndarray]:
        """`grab` off the event loop, for the asyncio lane driver."""
        return await asyncio.to_thread(self.grab, n)

    def close(self) -> None:
        """Release the capture; wait (bounded) for abandoned calls to come back from OpenCV."""
        with self._lock:
            self._drop_capture()
        for thread in self._stragglers:
            thread.join(self.timeout_s * _BACKSTOP + 0.5)
        self._stragglers = [t for t in self._stragglers if t.is_alive()]
        if self._stragglers:
            log.warning("camera %s: %d OpenCV calls still blocked after close",
                        self.source, len(self._stragglers))

    def __enter__(self) -> Camera:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # Files and patterns --------------------------------------------------------------

    def _grab_reopening(self, n: int) -> list[np.ndarray]:
        frames: list[np.ndarray] = []
        while len(frames) < n:
            cap = self._open()
            try:
                got = self._read_until_end(cap, n - len(frames))
            except _TimedOut:
                raise  # the stuck thread releases `cap` when OpenCV returns
            except BaseException:
                self._release_quietly(cap)
                raise
            self._release_quietly(cap)
            if not got:
                raise CameraError(f"{self.source}: no frames")
            frames += got
        return frames

    def _read_until_end(self, cap: cv2.VideoCapture, n: int) -> list[np.ndarray]:
        # Read no further than the known frame count: reading past the end of an image
        # sequence makes OpenCV log a warning on every grab.
        known = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        limit = min(n, known) if known > 0 else n
        frames: list[np.ndarray] = []
        while len(frames) < limit:
            frame = self._read(cap)
            if frame is None:
                break
            frames.append(frame)
        return frames

    def _grab_still(self, n: int) -> list[np.ndarray]:
        source = self.source.removeprefix("file://")
        image = self._call(lambda: cv2.imread(source, cv2.IMREAD_COLOR), "read", on_abandon=None)
        if image is None:
            raise CameraError(f"{self.source}: cannot open")
        frame = _as_bgr(image, self.source)
        return [frame] * n   # a still camera: the same picture however many are asked for

    # Devices and streams -------------------------------------------------------------

    def _grab_live(self, n: int) -> list[np.ndarray]:
        frames: list[np.ndarray] = []
        reopens = 0
        while len(frames) < n:
            try:
                if self._cap is None:
                    self._cap = self._open()
                frame = self._read(self._cap)
                if frame is None:
                    raise CameraError(f"{self.source}: stream ended")
            except CameraError as exc:
                if isinstance(exc, _TimedOut):
                    self._cap = None  # the stuck thread releases it when OpenCV returns
                else:
                    self._drop_capture()
                reopens += 1
                if reopens > self.max_reopens:
                    raise CameraError(f"{exc} (after {self.max_reopens} reopens)") from exc
                log.warning("camera: %s; reopening", exc)
                continue
            frames.append(frame)
        return frames

    def _drop_capture(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            self._release_quietly(cap)

    # OpenCV calls, each on a worker thread with a deadline --------------------------------

    def _open(self) -> cv2.VideoCapture:
        kind, source = self.kind, self.source
        # FFmpeg's own timeouts are the backstop that brings an abandoned call back; they
        # sit beyond our deadline so that the deadline, not FFmpeg, decides.
        ms = int(self.timeout_s * 1000 * _BACKSTOP)

        def do_open() -> cv2.VideoCapture:
            if kind == "device":
                return cv2.VideoCapture(int(source))
            if kind == "pattern":
                return cv2.VideoCapture(source, cv2.CAP_IMAGES)
            return cv2.VideoCapture(source, cv2.CAP_ANY, [
                cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms])

        cap = self._call(do_open, "open", on_abandon=_release_result)
        if not cap.isOpened():
            cap.release()
            raise CameraError(f"{self.source}: cannot open")
        return cap

    def _read(self, cap: cv2.VideoCapture) -> np.ndarray | None:
        """The next frame as BGR; None at the end of the source."""
        ok, frame = self._call(cap.read, "read", on_abandon=lambda _res: cap.release())
        if not ok:
            return None
        return _as_bgr(frame, self.source)

    def _release_quietly(self, cap: cv2.VideoCapture) -> None:
        # Releasing can only fail or hang on a broken backend; nothing is lost by moving on.
        try:
            self._call(cap.release, "release", on_abandon=None)
        except CameraError as exc:
            log.warning("%s", exc)

    def _call(self, fn: Callable[[], T], what: str,
              on_abandon: Callable[[T | None], None] | None) -> T:
        box: dict[str, object] = {}
        done = threading.Event()
        guard = threading.Lock()

        def run() -> None:
            result: T | None = None
            try:
                result = fn()
                box["result"] = result
            except BaseException as exc:  # noqa: BLE001 - handed to the caller below
                box["error"] = exc
            with guard:
                done.set()
                abandoned = bool(box.get("abandoned"))
            if abandoned and on_abandon is not None:
                on_abandon(result)

        self._stragglers = [t for t in self._stragglers if t.is_alive()]
        thread = threading.Thread(target=run, name=f"camera-{what}", daemon=True)
        thread.start()
        if not done.wait(self.timeout_s):
            with guard:
                if not done.is_set():
                    box["abandoned"] = True
                    self._stragglers.append(thread)
                    raise _TimedOut(f"{self.source}: {what} timed out after {self.timeout_s} s")
        thread.join()
        if "error" in box:
            raise CameraError(f"{self.source}: {what} failed: {box['error']!r}")
        return box["result"]  # type: ignore[return-value]


def _release_result(cap: cv2.VideoCapture | None) -> None:
    if cap is not None:
        cap.release()


def _as_bgr(frame: np.ndarray | None, source: str) -> np.ndarray:
    if frame is None or frame.size == 0:
        raise CameraError(f"{source}: empty frame")
    if frame.dtype != np.uint8:
        raise CameraError(f"{source}: {frame.dtype} frame, expected uint8")
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    if frame.ndim == 3 and frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    if frame.ndim == 3 and frame.shape[2] == 3:
        return frame
    raise CameraError(f"{source}: unexpected frame shape {frame.shape}")
