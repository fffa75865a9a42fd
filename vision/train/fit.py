"""The training loop: seeded shuffling and augmentation, AdamW + cosine schedule, Rich progress."""
from __future__ import annotations

import time
from typing import Any

import numpy as np
from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from vision.model_card import LABELS, Normalisation
from vision.preprocess import normalise
from vision.train.config import TrainConfig


class EpochLog(BaseModel):
    epoch: int
    train_loss: float
    train_accuracy: float
    val_loss: float
    val_accuracy: float
    seconds: float


def augment(x: np.ndarray, rng: np.random.Generator, noise: float = 0.0) -> np.ndarray:
    """Top-view invariances (quarter turns, mirrors) and mild photometric jitter, on uint8 RGB.
    `noise` > 0 adds Gaussian sensor noise of a random std up to it (a darker, noisier camera
    than the generator's must not read as a different material)."""
    x = np.rot90(x, int(rng.integers(4)), axes=(1, 2))
    flip = rng.random(len(x)) < 0.5
    x = np.where(flip[:, None, None, None], x[:, :, ::-1], x)
    gain = rng.uniform(0.8, 1.2, (len(x), 1, 1, 1)) * rng.uniform(0.95, 1.05, (len(x), 1, 1, 3))
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    contrast = rng.uniform(0.8, 1.2, (len(x), 1, 1, 1))
    out = ((x - mean) * contrast + mean) * gain
    if noise > 0:
        sigma = rng.uniform(0.0, noise, (len(x), 1, 1, 1)).astype(np.float32)
        out = out + sigma * rng.standard_normal(x.shape, dtype=np.float32)
    return np.clip(out, 0, 255).astype(np.uint8)


def fit(
    net: Any, train: tuple[np.ndarray, np.ndarray], val: tuple[np.ndarray, np.ndarray],
    cfg: TrainConfig, norm: Normalisation, console: Console,
) -> list[EpochLog]:
    import torch

    torch.manual_seed(cfg.seed)
    net = net.to(memory_format=torch.channels_last)
    trainable = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps = cfg.epochs * int(np.ceil(len(train[0]) / cfg.batch_size))
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=steps, pct_start=0.15)
    history: list[EpochLog] = []
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not cfg.show_progress) as progress:
        task = progress.add_task("training", total=steps)
        for epoch in range(cfg.epochs):
            start = time.perf_counter()
            rng = np.random.default_rng([cfg.seed, epoch])
            loss, acc = _train_epoch(net, train, cfg, norm, rng, opt, schedule, progress, task)
            val_loss, val_acc = evaluate_torch(net, val, norm, cfg.batch_size * 4)
            log = EpochLog(
                epoch=epoch + 1, train_loss=loss, train_accuracy=acc,
                val_loss=val_loss, val_accuracy=val_acc, seconds=time.perf_counter() - start,
            )
            history.append(log)
            progress.console.print(
                f"epoch {log.epoch}/{cfg.epochs}  loss {loss:.3f}  acc {acc:.3f}  "
                f"val loss {val_loss:.3f}  val acc {val_acc:.3f}  ({log.seconds:.0f} s)"
            )
    return history


def _train_epoch(
    net: Any, train: tuple[np.ndarray, np.ndarray], cfg: TrainConfig, norm: Normalisation,
    rng: np.random.Generator, opt: Any, schedule: Any, progress: Progress, task: TaskID,
) -> tuple[float, float]:
    import torch

    from vision.train.net import train_mode

    train_mode(net)
    x_all, y_all = train
    weights = torch.tensor([cfg.class_weights.get(label, 1.0) for label in LABELS], dtype=torch.float32)
    order = rng.permutation(len(x_all))
    total_loss, total_hit, seen, steps = 0.0, 0, 0, 0
    for begin in range(0, len(order), cfg.batch_size):
        idx = np.sort(order[begin : begin + cfg.batch_size])
        if len(idx) < 2:  # BatchNorm cannot train on a single image
            progress.advance(task)
            continue
        xb = _tensor(normalise(augment(x_all[idx], rng, cfg.noise_aug), norm))
        yb = torch.from_numpy(y_all[idx])
        opt.zero_grad(set_to_none=True)
        logits = net(xb)
        loss = _loss(logits, yb, weights)
        loss.backward()
        opt.step()
        schedule.step()
        total_loss += loss.item()
        steps += 1
        labelled = yb >= 0
        total_hit += int((logits.argmax(1) == yb)[labelled].sum())
        seen += int(labelled.sum())
        progress.update(task, advance=1, description=f"training  loss {total_loss / steps:.3f}")
    return total_loss / max(steps, 1), total_hit / max(seen, 1)


def _loss(logits: Any, y: Any, weights: Any) -> Any:
    """Cross-entropy on labelled images; an outlier (label < 0) is pulled towards the uniform
    distribution (mean -log p over the classes), weighted 0.5 as in outlier exposure."""
    import torch
    from torch.nn import functional as F

    labelled = y >= 0
    loss = logits.sum() * 0
    if labelled.any():
        loss = F.cross_entropy(logits[labelled], y[labelled], weight=weights, reduction="sum")
    if (~labelled).any():
        loss = loss + 0.5 * -torch.log_softmax(logits[~labelled], dim=1).mean(1).sum()
    return loss / len(y)


def predict_logits(net: Any, x: np.ndarray, norm: Normalisation, batch: int) -> np.ndarray:
    import torch

    net.eval()
    outs = []
    with torch.inference_mode():
        for begin in range(0, len(x), batch):
            outs.append(net(_tensor(normalise(x[begin : begin + batch], norm))).numpy())
    return np.concatenate(outs).astype(np.float64)


def evaluate_torch(
    net: Any, data: tuple[np.ndarray, np.ndarray], norm: Normalisation, batch: int
) -> tuple[float, float]:
    from vision.train.calibrate import nll

    logits = predict_logits(net, data[0], norm, batch)
    return nll(logits, data[1], 1.0), float((logits.argmax(1) == data[1]).mean())


def _tensor(batch: np.ndarray) -> Any:
    import torch

    return torch.from_numpy(batch).contiguous(memory_format=torch.channels_last)
