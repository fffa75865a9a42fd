"""Camera: real OpenCV reading real image files, and a real MJPEG stream over HTTP."""
from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from hardware.camera.capture import Camera, CameraError, source_kind
from hardware.camera.simulator import CameraSimulator

pytestmark = pytest.mark.timeout(30)  # every test here is seconds; a hang must fail fast


def tray(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (48, 64, 3), dtype=np.uint8)


def camera_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("camera-")]


@pytest.fixture
def sim(tmp_path: Path) -> CameraSimulator:
    return CameraSimulator(tmp_path / "tray-cam")


def test_source_kinds() -> None:
    assert source_kind("0") == "device"
    assert source_kind("rtsp://10.0.0.5/stream1") == "stream"
    assert source_kind("http://cam.local/mjpg") == "stream"
    assert source_kind("frames/frame_%03d.png") == "pattern"
    assert source_kind("clip.avi") == "file"
    assert source_kind("deck/front.JPG") == "still" and source_kind("file:///srv/cab.png") == "still"


def test_a_still_image_is_read_afresh_at_each_grab(tmp_path: Path) -> None:
    path = tmp_path / "front.png"
    cv2.imwrite(str(path), np.full((48, 64, 3), 40, np.uint8))
    with Camera(str(path), timeout_s=2.0) as cam:
        first = cam.grab(2)
        cv2.imwrite(str(path), np.full((48, 64, 3), 200, np.uint8))
        second = cam.grab(1)
    assert len(first) == 2 and int(first[0].mean()) == 40 and int(second[0].mean()) == 200
    with pytest.raises(CameraError, match="cannot open"):
        Camera(str(tmp_path / "gone.png"), timeout_s=2.0).grab(1)


def test_grab_reads_the_presented_sequence(sim: CameraSimulator) -> None:
    images = [tray(i) for i in range(3)]
    sim.present(images)
    with Camera(sim.source, timeout_s=2.0) as cam:
        assert all(np.array_equal(a, b) for a, b in zip(cam.grab(3), images))  # PNG: lossless
        two = cam.grab(2)
        assert len(two) == 2 and np.array_equal(two[0], images[0])  # reopened: from the start
        five = cam.grab(5)  # more than there are: the still tray is seen again
        assert [int(f.sum()) for f in five] == [int(i.sum()) for i in images + images[:2]]
        assert all(f.dtype == np.uint8 and f.shape == (48, 64, 3) for f in five)


def test_new_images_are_seen_on_the_next_grab(sim: CameraSimulator) -> None:
    sim.present([tray(1), tray(2)])
    with Camera(sim.source, timeout_s=2.0) as cam:
        cam.grab(2)
        sim.present([tray(7)])
        assert np.array_equal(cam.grab(1)[0], tray(7))


def test_black_frames_come_back_for_the_quality_gate_to_judge(sim: CameraSimulator) -> None:
    # Black is a valid image to a camera; judging it (covered lens) is vision's frame gate.
    sim.present([tray(1), tray(2)])
    sim.black()
    with Camera(sim.source, timeout_s=2.0) as cam:
        assert [int(f.max()) for f in cam.grab(2)] == [0, 0]


def test_removed_source_is_an_error(sim: CameraSimulator, tmp_path: Path) -> None:
    sim.present([tray(1)])
    with Camera(sim.source, timeout_s=2.0) as cam:
        cam.grab(1)
        sim.remove()
        with pytest.raises(CameraError, match="cannot open"):
            cam.grab(1)
    with Camera(str(tmp_path / "nowhere" / "clip.avi"), timeout_s=2.0) as cam:
        with pytest.raises(CameraError):
            cam.grab(1)


def test_video_file_loops(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10, (64, 48))
    for level in (0, 80, 160):
        writer.write(np.full((48, 64, 3), level, np.uint8))
    writer.release()
    with Camera(str(path), timeout_s=2.0) as cam:
        levels = [int(f.mean()) for f in cam.grab(4)]
    assert levels[0] == levels[3] and levels[0] < levels[1] < levels[2]


def test_grab_async(sim: CameraSimulator) -> None:
    sim.present([tray(3)])
    with Camera(sim.source, timeout_s=2.0) as cam:
        frames = asyncio.run(cam.grab_async(2))
    assert len(frames) == 2


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        Camera("x.avi", timeout_s=0)
    with pytest.raises(ValueError):
        Camera("x.avi").grab(0)


# A real MJPEG stream over HTTP, as IP cameras serve it ---------------------------------

class MjpegServer:
    """Connection k gets `frames[k]` JPEG parts, then hangs (stall) or hangs up (close)."""

    def __init__(self, frames: list[int], after: str = "stall", reply: bool = True) -> None:
        ok, jpg = cv2.imencode(".jpg", np.full((48, 64, 3), 128, np.uint8))
        assert ok
        self._part = (b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n"
                      % len(jpg) + jpg.tobytes() + b"\r\n")
        self._frames, self._after, self._reply = frames, after, reply
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self.connections = 0
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, name="test-mjpeg", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/cam.mjpg"

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for conn in self._conns:
            conn.close()
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            self._conns.append(conn)
            k, self.connections = self.connections, self.connections + 1
            conn.recv(4096)
            if self._reply:
                self._stream(conn, self._frames[k] if k < len(self._frames) else 0)

    def _stream(self, conn: socket.socket, n: int) -> None:
        conn.sendall(b"HTTP/1.0 200 OK\r\n"
                     b"Content-Type: multipart/x-mixed-replace; boundary=frame\r\n\r\n")
        for _ in range(n):
            conn.sendall(self._part)
        if self._after == "close":
            conn.close()


@pytest.fixture
def no_thread_leak() -> Iterator[None]:
    yield
    deadline = time.monotonic() + 5
    while camera_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert camera_threads() == []


def test_stream_frames_and_reconnect(no_thread_leak: None) -> None:
    server = MjpegServer(frames=[3, 10], after="close")
    try:
        with Camera(server.url, timeout_s=2.0) as cam:
            frames = cam.grab(5)  # 3 from the first connection, the rest after reconnecting
            assert len(frames) == 5 and frames[0].shape == (48, 64, 3)
            assert server.connections == 2
            assert len(cam.grab(2)) == 2  # kept open between grabs
            assert server.connections == 2
    finally:
        server.close()


def test_stalled_stream_times_out(no_thread_leak: None) -> None:
    # Five frames (enough for FFmpeg to recognise the stream), then silence on an open socket.
    server = MjpegServer(frames=[5])
    try:
        with Camera(server.url, timeout_s=0.5, max_reopens=0) as cam:
            t0 = time.monotonic()
            with pytest.raises(CameraError, match="read timed out after 0.5 s"):
                cam.grab(8)
            assert time.monotonic() - t0 < 0.5 + 1.0
    finally:
        server.close()


def test_stalled_stream_is_reopened_a_bounded_number_of_times(no_thread_leak: None) -> None:
    server = MjpegServer(frames=[5, 5, 5, 5])
    try:
        with Camera(server.url, timeout_s=0.5, max_reopens=2) as cam:
            t0 = time.monotonic()
            with pytest.raises(CameraError, match="after 2 reopens"):
                cam.grab(100)
            assert server.connections == 3
            assert time.monotonic() - t0 < 3 * (0.5 + 0.5) + 1.0
    finally:
        server.close()


def test_camera_that_never_answers_times_out(no_thread_leak: None) -> None:
    server = MjpegServer(frames=[], reply=False)  # accepts, reads the request, says nothing
    try:
        with Camera(server.url, timeout_s=0.5, max_reopens=0) as cam:
            t0 = time.monotonic()
            with pytest.raises(CameraError):
                cam.grab(1)
            assert time.monotonic() - t0 < 2.0
    finally:
        server.close()
