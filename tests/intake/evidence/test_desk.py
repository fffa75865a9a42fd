"""The evidence desk on real files read by OpenCV: every view of a weighing stored as a
watermarked JPEG with its SHA-256 in a chained record, a failing camera recorded as a missing
view, and the lane's hand-over that never waits."""
from __future__ import annotations

import asyncio
import hashlib

import cv2
import numpy as np

from intake.evidence.store import file_state, latest_deck_snapshots, snapshots_of
from intake.store.audit import verify

from tests.intake.evidence.helpers import KEY, desk, image_file, job, scene, store, video_file


def test_each_view_is_a_watermarked_jpeg_named_by_its_chained_record(tmp_path):
    records, weighed = store(tmp_path)
    data = tmp_path / "data"
    cams = tmp_path / "cams"
    d = desk(records, data, {"front": str(image_file(cams, "front.png", 1)), "rear": str(video_file(cams))})
    rows = asyncio.run(d.take(job(weighed[0])))
    assert [r.view for r in rows] == ["front", "rear"]
    for row in rows:
        assert row.missing is None and row.weighing_id == weighed[0][0] and row.kind == "in"
        stored = (data / row.path).read_bytes()
        assert hashlib.sha256(stored).hexdigest() == row.sha256 and row.size_bytes == len(stored)
        picture = cv2.imdecode(np.frombuffer(stored, np.uint8), cv2.IMREAD_COLOR)
        assert picture.shape == (360, 640, 3) and (row.width, row.height) == (640, 360)
        # The watermark: the band across the bottom is darkened and carries white text; the top is the scene.
        band = picture[-40:]
        assert band.max() > 200 and np.median(band) < 90
        assert np.abs(picture[:100].astype(int) - scene(1 if row.view == "front" else 100)[:100]).mean() < 12
        assert file_state(data, row) == "ok"
    assert d.counts[("1", "front", "ok")] == 1 and d.counts[("1", "rear", "ok")] == 1
    assert verify(records.engine, KEY).ok


def test_a_failing_camera_leaves_a_record_that_names_the_view_and_why(tmp_path):
    records, weighed = store(tmp_path)
    cams = tmp_path / "cams"
    d = desk(records, tmp_path / "data", {"front": str(image_file(cams, "front.png", 1)),
                                          "cab": str(cams / "unplugged.png")})
    rows = {r.view: r for r in asyncio.run(d.take(job(weighed[1], 14_200)))}
    assert rows["front"].missing is None
    cab = rows["cab"]
    assert cab.path is None and cab.sha256 is None and cab.missing == "cannot open"
    assert d.counts[("1", "cab", "missing")] == 1
    assert verify(records.engine, KEY).ok


def test_the_latest_snapshots_of_a_lane_are_those_of_its_last_weighing(tmp_path):
    records, weighed = store(tmp_path)
    cams = tmp_path / "cams"
    d = desk(records, tmp_path / "data", {"front": str(image_file(cams, "front.png", 1)),
                                          "top": str(image_file(cams, "top.jpg", 2))})
    assert latest_deck_snapshots(records.engine, "1") == []
    for w in weighed:
        asyncio.run(d.take(job(w)))
    latest = latest_deck_snapshots(records.engine, "1")
    assert [(r.view, r.kind) for r in latest] == [("front", "out"), ("top", "out")]
    assert len(snapshots_of(records.engine, weighed[0][1])) == 4
    assert latest_deck_snapshots(records.engine, "2") == []


def test_the_hand_over_only_queues_and_the_worker_records_it(tmp_path):
    records, weighed = store(tmp_path)
    cams = tmp_path / "cams"
    d = desk(records, tmp_path / "data", {"front": str(image_file(cams, "front.png", 1))})

    async def run() -> None:
        assert d.health()["worker"] == "stopped"
        d.start()
        assert d.health() == {"worker": "ok", "queued": 0, "missing_views": 0, "lost_weighings": 0}
        hand_over = d.hand_over("1")
        hand_over(weighed[0][0], weighed[0][1], "in", "沪A·S1234", 39_800)   # returns at once
        assert snapshots_of(records.engine, weighed[0][1]) == []
        await d.close()   # drains what was asked for

    asyncio.run(run())
    assert [r.view for r in snapshots_of(records.engine, weighed[0][1])] == ["front"]


def test_a_missing_view_never_records_the_cameras_address_or_password():
    from hardware.camera.capture import CameraError
    from intake.evidence.desk import why_missing

    source = "rtsp://admin:s3cret@10.0.0.21:554/stream1"
    assert why_missing(CameraError(f"{source}: open timed out after 3.0 s"), source) == "open timed out after 3.0 s"
    assert "s3cret" not in why_missing(CameraError("rtsp://admin:s3cret@10.0.0.22/x: cannot open"), source)
    assert why_missing(TimeoutError(), source) == "TimeoutError"
