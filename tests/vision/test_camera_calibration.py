"""`intake camera check|calibrate` on generated frames whose truth is known."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from vision.calibration import CalibrationError, grey_card_gains, parse_target, px_per_mm

runner = CliRunner()


def _checkerboard(squares: tuple[int, int], square_px: int, margin: int = 40) -> np.ndarray:
    cols, rows = squares
    img = np.full((rows * square_px + 2 * margin, cols * square_px + 2 * margin, 3), 255, np.uint8)
    for r in range(rows):
        for c in range(cols):
            if (r + c) % 2 == 0:
                y, x = margin + r * square_px, margin + c * square_px
                img[y : y + square_px, x : x + square_px] = 0
    return img


def test_px_per_mm_of_a_known_board() -> None:
    board = _checkerboard((8, 6), 30)  # 7x5 inner corners, 30 px squares
    ppm, n = px_per_mm(board, 7, 5, 25.0)
    assert n == 35
    assert ppm == pytest.approx(30 / 25.0, rel=0.01)
    scaled = cv2.resize(board, None, fx=1.5, fy=1.5, interpolation=cv2.INTER_LINEAR)
    assert px_per_mm(scaled, 7, 5, 25.0)[0] == pytest.approx(45 / 25.0, rel=0.01)


def test_no_board_and_bad_target() -> None:
    with pytest.raises(CalibrationError, match="no 7x5 checkerboard"):
        px_per_mm(np.full((200, 200, 3), 128, np.uint8), 7, 5, 25.0)
    with pytest.raises(CalibrationError):
        parse_target("chessboard:7x5")


def test_grey_card_gains_neutralise_a_cast() -> None:
    card = np.zeros((100, 100, 3), np.uint8)
    card[:] = (100, 120, 150)  # BGR: warm light on a grey card
    b, g, r = grey_card_gains(card)
    assert (100 * b, 120 * g, 150 * r) == pytest.approx((120, 120, 120), rel=0.01)


def test_cli_check_and_calibrate(tmp_path: Path) -> None:
    from intake.cli.camera import app

    board_path, card_path, png = tmp_path / "board.png", tmp_path / "card.png", tmp_path / "roi.png"
    cv2.imwrite(str(board_path), _checkerboard((8, 6), 30))
    card = np.zeros((240, 320, 3), np.uint8)
    card[:] = (90, 128, 160)
    cv2.imwrite(str(card_path), card)
    checked = runner.invoke(app, ["check", "--source", str(card_path), "--png", str(png)])
    assert checked.exit_code == 0, checked.output
    report = json.loads(checked.stdout)
    assert report["cast"]["red_blue"] > 0.3 and not report["ok"]  # a strong warm cast is reported
    assert cv2.imread(str(png)).shape == (240, 320, 3)
    out = tmp_path / "cal" / "camera.json"
    result = runner.invoke(app, ["calibrate", "--source", str(board_path), "--target", "checkerboard:7x5:25",
                                 "--grey-card", str(card_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    saved = json.loads(out.read_text())
    assert saved["px_per_mm"] == pytest.approx(1.2, rel=0.01)
    assert saved["wb_gains_bgr"][0] == pytest.approx(128 / 90, rel=0.01)
    assert [p.name for p in out.parent.iterdir()] == ["camera.json"]  # no temp file left behind
    bad = runner.invoke(app, ["calibrate", "--source", str(card_path), "--target", "checkerboard:7x5:25", "--out", str(out)])
    assert bad.exit_code == 1 and json.loads(out.read_text()) == saved  # failure keeps the old file
    usage = runner.invoke(app, ["calibrate", "--source", str(board_path), "--target", "nope"])
    assert usage.exit_code == 2
