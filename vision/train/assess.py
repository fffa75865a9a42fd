"""After export: set the OOD threshold from validation photos, then measure the shipped file
on held-out data made with other generator ranges and seeds (the card's `heldout`)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from rich.console import Console

from vision.classifier import OnnxClassifier
from vision.evaluation import gate_metrics
from vision.model_card import LABELS, GateMetrics, ModelCard, OodCalibration, card_path
from vision.preprocess import normalise, prepare, tiles
from vision.real import load, photos
from vision.synth.ood import ood_set
from vision.train.config import TrainConfig
from vision.train.data import photo_split
from vision.train.ood import threshold


def calibrate_ood(model_path: Path, card: ModelCard, cfg: TrainConfig) -> OodCalibration:
    """Per photo, the largest score over the whole frame and its tiles (as the gate sees it);
    the threshold is the chosen percentile of those maxima. Only familiar images are used."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = cfg.threads
    session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    images, _ = photo_split(cfg.ood_calib_per_label, cfg.val_seed, cfg.gen_size, cfg.variation)
    if cfg.real_per_label:  # the training series' photos as the camera gives them, not the frozen validation
        images += [load(p) for p in photos("train")]
    maxima = []
    for image in images:
        crops = np.stack([prepare(t, card.height, card.width, card.centre_crop) for t in tiles(image)])
        (scores,) = session.run(["ood_score"], {"input": normalise(crops, card.normalisation)})
        maxima.append(float(np.max(scores)))
    real = ", and the real photos of the training series" if cfg.real_per_label else ""
    return OodCalibration(
        threshold=round(threshold(np.array(maxima), cfg.ood_percentile), 4),
        percentile=cfg.ood_percentile,
        calibration=(
            f"{cfg.ood_calib_per_label}/label validation-seed ({cfg.val_seed}) photos, generator "
            f"'{cfg.variation}'{real}, max over whole frame + 4 tiles"
        ),
    )


def heldout(model_path: Path, cfg: TrainConfig, console: Console) -> list[GateMetrics]:
    """Whole-frame and tiled gate figures on the held-out generator and the OOD pictures."""
    classifier = OnnxClassifier.load(model_path)
    card = classifier.card
    console.print(f"held-out set: {cfg.heldout_per_label}/label, generator '{cfg.heldout_variation}', seed {cfg.heldout_seed}")
    images, y = photo_split(cfg.heldout_per_label, cfg.heldout_seed, cfg.gen_size, cfg.heldout_variation)
    ood = [image for _, image in ood_set(cfg.ood_per_kind, cfg.ood_seed, cfg.gen_size)]
    name = (f"held-out synthetic, generator '{cfg.heldout_variation}', seed {cfg.heldout_seed}, "
            f"{cfg.heldout_per_label}/label at {cfg.gen_size}px; OOD: {cfg.ood_per_kind} x 7 kinds, seed {cfg.ood_seed}")
    preds = [classifier.classify_tiles(image) for image in images]
    ood_preds = [classifier.classify_tiles(image) for image in ood]
    return [
        gate_metrics(name, preds, y, LABELS, card.abstain_confidence, tiles=use_tiles, ood_preds=ood_preds)
        for use_tiles in (False, True)
    ]


def update_card(model_path: Path, **fields: object) -> ModelCard:
    path = card_path(model_path)
    card = ModelCard.load(path).model_copy(update=fields)
    card = ModelCard.model_validate(card.model_dump())  # re-validate the updated fields
    card.save(path)
    return card
