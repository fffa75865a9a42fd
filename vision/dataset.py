"""The plant's labelled samples as an export folder: `manifest.json` plus the photos under
`images/`. Written by `intake vision dataset export` (intake.learning.export), read by the
fine-tuning (vision.train.plant) and the evaluation (vision.compare). Images only: the
manifest carries provenance as plain text, so this module needs nothing from `intake`.

A load is held back for evaluation, never trained on, by its visit id (a fixed fifth of the
loads, chosen by hash): all photos of one truck go the same way, as the real photos go by
series, so near-copies of one tray never sit on both sides."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

MANIFEST = "manifest.json"
HELD_BACK_SHARE = 5   # one load in five (by visit hash) is held back for evaluation


def held_back(visit: str) -> bool:
    return hashlib.sha256(f"heldback:{visit}".encode()).digest()[0] % HELD_BACK_SHARE == 0


class ExportItem(BaseModel):
    """One photo of one labelled load, and where its label came from."""
    model_config = ConfigDict(extra="forbid")

    visit: str
    inspection: int
    frame: int
    label: str
    source: Literal["review", "spot_check", "lab"]
    labelled_by: str                      # reviewer, or the lab's name
    labelled_at: datetime
    model_sha256: Optional[str] = None    # the model that judged the load at the gate
    gate_label: Optional[str] = None      # what that model said about this photo
    sha256: str                           # as the Frame record holds it
    quality_ok: bool
    held_back: bool
    file: Optional[str] = None            # relative to the export folder; None: not exported
    missing: Optional[str] = None         # why not: removed by retention (rule, when), file gone, changed


class Unlabelled(BaseModel):
    """A load the lab reported on whose results name no training label (listed, not guessed)."""
    model_config = ConfigDict(extra="forbid")

    visit: str
    why: str


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    created: datetime
    site: str
    items: list[ExportItem] = Field(default_factory=list)
    unlabelled: list[Unlabelled] = Field(default_factory=list)

    def usable(self, *, held: bool) -> list[ExportItem]:
        """Exported photos that passed the frame-quality gate, on one side of the hold-back."""
        return [i for i in self.items if i.file is not None and i.quality_ok and i.held_back == held]

    def save(self, folder: Path) -> Path:
        path = folder / MANIFEST
        path.write_text(self.model_dump_json(indent=1) + "\n", encoding="utf-8")
        return path


def load_manifest(folder: Path) -> Manifest:
    """The export's manifest, with every exported photo checked against its SHA-256: a photo
    changed since the export must not train or judge a model. Raises ValueError."""
    path = folder / MANIFEST
    if not path.is_file():
        raise ValueError(f"{folder}: no {MANIFEST} (not a dataset export)")
    manifest = Manifest.model_validate(json.loads(path.read_text(encoding="utf-8")))
    for item in manifest.items:
        if item.file is None:
            continue
        data = (folder / item.file).read_bytes()
        if hashlib.sha256(data).hexdigest() != item.sha256:
            raise ValueError(f"{item.file}: SHA-256 differs from the manifest")
    return manifest
