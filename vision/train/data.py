"""Synthetic splits in memory: (N, H, W, 3) uint8 RGB at the network size, plus int labels.

Images go through `vision.preprocess.prepare`, the same resize the gate uses, so training
and inference see identical pixels.
"""
from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import cv2
import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from vision.model_card import LABELS
from vision.preprocess import prepare
from vision.synth.dataset import image_rng
from vision.synth.generator import generate
from vision.synth.variation import variation as get_variation

_CHUNK = 50  # images per worker task: big enough to amortise pickling, small for a smooth bar


def synth_split(
    n_per_label: int, seed: int, gen_size: int, input_size: int, *,
    oversample: dict[str, float] | None = None, workers: int = 1,
    description: str = "generating", show_progress: bool = True, variation: str = "legacy",
) -> tuple[np.ndarray, np.ndarray]:
    """`oversample` multiplies the count of some labels (e.g. more varied foreign matter)."""
    counts = [max(1, round(n_per_label * (oversample or {}).get(label, 1.0))) for label in LABELS]
    offsets = np.concatenate([[0], np.cumsum(counts)])
    jobs = [(li, start, min(start + _CHUNK, n)) for li, n in enumerate(counts) for start in range(0, n, _CHUNK)]
    x = np.empty((int(offsets[-1]), input_size, input_size, 3), np.uint8)
    y = np.repeat(np.arange(len(LABELS), dtype=np.int64), counts)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    # Progress goes to stderr: stdout is kept for machine-readable output.
    with Progress(*columns, console=Console(stderr=True), disable=not show_progress) as progress:
        task = progress.add_task(description, total=len(x))
        for (li, start, stop), chunk in zip(jobs, _run(jobs, seed, gen_size, input_size, workers, variation)):
            x[offsets[li] + start : offsets[li] + stop] = chunk
            progress.advance(task, stop - start)
    return x, y


def _run(
    jobs: list[tuple[int, int, int]], seed: int, gen_size: int, input_size: int, workers: int, variation: str
) -> Iterator[np.ndarray]:
    args = [(seed, li, start, stop, gen_size, input_size, variation) for li, start, stop in jobs]
    if workers <= 1:
        yield from (_make_chunk(*a) for a in args)
        return
    # "spawn": forking a process that may already hold torch's thread pool can deadlock.
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_init_worker) as pool:
        yield from pool.map(_make_chunk, *zip(*args))


def _init_worker() -> None:
    cv2.setNumThreads(1)


def _make_chunk(
    seed: int, li: int, start: int, stop: int, gen_size: int, input_size: int, variation: str
) -> np.ndarray:
    label, ranges = LABELS[li], get_variation(variation)
    images = (generate(label, image_rng(seed, li, i), gen_size, ranges) for i in range(start, stop))
    return np.stack([prepare(image, input_size, input_size) for image in images])


def photo_split(
    n_per_label: int, seed: int, gen_size: int, variation: str
) -> tuple[list[np.ndarray], np.ndarray]:
    """Full-size BGR photos (not network inputs): for tiles, which crop before resizing."""
    ranges = get_variation(variation)
    images = [generate(label, image_rng(seed, li, i), gen_size, ranges)
              for li, label in enumerate(LABELS) for i in range(n_per_label)]
    return images, np.repeat(np.arange(len(LABELS)), n_per_label)


def real_split(
    n_per_label: int, seed: int, gen_size: int, input_size: int, variation: str = "train", split: str = "train",
) -> tuple[np.ndarray, np.ndarray]:
    """Samples of every label but empty made from the real photos of `split` (never the frozen
    validation series when training): see `vision.synth.real_texture`."""
    from vision.real import load, photos
    from vision.synth.real_texture import real_sample

    chosen = photos(split)
    by_label = {label: [load(p) for p in chosen if p.label == label] for label in ("clean_sand", "clean_gravel")}
    every = by_label["clean_sand"] + by_label["clean_gravel"]
    ranges = get_variation(variation)
    xs, ys = [], []
    for li, label in enumerate(LABELS):
        if label == "empty":
            continue
        source = by_label.get(label, every)
        for i in range(n_per_label):
            image = real_sample(label, source, image_rng(seed + 500, li, i), gen_size, ranges)
            xs.append(prepare(image, input_size, input_size))
            ys.append(li)
    return np.stack(xs), np.asarray(ys, np.int64)


OUTLIER = -1  # label of a non-tray training picture: its target is the uniform distribution


def outlier_split(n_per_kind: int, seed: int, gen_size: int, input_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Non-tray pictures, each as a whole frame and as one random tile (the gate judges both)."""
    from vision.preprocess import tiles
    from vision.synth.ood import ood_set

    rng = np.random.default_rng(seed)
    xs = []
    for _, image in ood_set(n_per_kind, seed, gen_size):
        views = tiles(image)
        xs += [prepare(views[0], input_size, input_size), prepare(views[1 + int(rng.integers(4))], input_size, input_size)]
    return np.stack(xs), np.full(len(xs), OUTLIER, np.int64)
