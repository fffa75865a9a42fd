"""`intake camera ...`: check a camera's picture and calibrate its scale and white balance.

JSON on stdout (one object); exit 0 ok, 2 bad usage or input, 1 failure (camera, target).
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import cv2
import numpy as np
import typer

from hardware.camera.capture import Camera, CameraError
from intake.cli.output import FAILED, emit, fail, line, note
from vision.calibration import CalibrationError, calibrate, check, draw_roi, parse_target, save_atomic

app = typer.Typer(help="Camera picture check and calibration.", no_args_is_help=True)

SourceOpt = Annotated[str, typer.Option("--source", help="camera URL, device index, image file or frame_%03d pattern")]
DEFAULT_CALIBRATION = Path("var/camera-calibration.json")


def _grab(source: str, timeout_s: float) -> np.ndarray:
    camera = Camera(source, timeout_s=timeout_s)
    try:
        return camera.grab(1)[0]
    except CameraError as exc:
        fail(f"camera error: {exc}", FAILED)
    finally:
        camera.close()


@app.command("check")
def check_cmd(
    source: SourceOpt,
    png: Annotated[Optional[Path], typer.Option("--png", help="write the frame with the region of interest drawn")] = None,
    timeout_s: Annotated[float, typer.Option(help="open/read timeout in seconds")] = 5.0,
) -> None:
    """Sharpness, exposure and colour cast of one frame, as JSON."""
    frame = _grab(source, timeout_s)
    result = check(frame)
    if png is not None:
        png.parent.mkdir(parents=True, exist_ok=True)
        if not cv2.imwrite(str(png), draw_roi(frame, result)):
            fail(f"cannot write {png}")
    emit({"source": source, **result.model_dump(mode="json")})


@app.command("calibrate")
def calibrate_cmd(
    source: SourceOpt,
    target: Annotated[str, typer.Option("--target", help="checkerboard:COLSxROWS:SQUARE_MM (inner corners)")],
    grey_card: Annotated[Optional[str], typer.Option("--grey-card", help="source showing a grey card filling the centre")] = None,
    out: Annotated[Path, typer.Option("--out", help="calibration file, replaced atomically")] = DEFAULT_CALIBRATION,
    timeout_s: Annotated[float, typer.Option(help="open/read timeout in seconds")] = 5.0,
) -> None:
    """Pixels per millimetre from a printed checkerboard; white-balance gains from a grey card."""
    try:
        parse_target(target)
    except CalibrationError as exc:
        fail(str(exc))
    board = _grab(source, timeout_s)
    card = _grab(grey_card, timeout_s) if grey_card else None
    try:
        result = calibrate(source, target, board, card)
    except CalibrationError as exc:
        fail(f"calibration failed: {exc}", FAILED)
    save_atomic(out, result)
    note(f"saved {out}")
    line(result.model_dump_json())


__all__ = ["app"]
