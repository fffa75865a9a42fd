"""Fine-tuning from a model in service: its ONNX file back into a torch network, and the
plant's exported samples (vision.dataset) as training images.

The ONNX export folds each BatchNorm into the convolution before it, so a conv's weight and
bias in the file are the folded ones. Loading them back: the conv takes the folded weight and
its BatchNorm becomes the identity plus the folded bias (mean 0, variance 1 - eps, scale 1).
Those statistics must then stay fixed: the fine-tune keeps every BatchNorm in eval mode
(`freeze_batchnorm`), which is also what a few hundred plant photos call for (batch statistics
of so few images would undo the base model's)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from vision.model_card import LABELS, ModelCard
from vision.preprocess import load_image, prepare


def arch_of(card: ModelCard) -> tuple[str, int]:
    """(arch, IntakeNet width) of the network the card describes."""
    if card.architecture.startswith("EfficientNet-Lite0"):
        return "lite0", 0
    import re

    found = re.search(r"conv3x3/2 (\d+)", card.architecture)
    if found is None:
        raise ValueError(f"cannot tell the network from the card: {card.architecture[:80]!r}")
    return "intakenet", int(found.group(1))


def _onnx_convs(path: Path) -> tuple[list[tuple[np.ndarray, np.ndarray | None]], tuple[np.ndarray, np.ndarray]]:
    """Each Conv's (weight, bias) in graph order, and the classifier Gemm's (weight, bias)."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    init = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    convs = [(init[n.input[1]], init.get(n.input[2]) if len(n.input) > 2 else None)
             for n in graph.node if n.op_type == "Conv"]
    gemms = [n for n in graph.node if n.op_type == "Gemm"]
    if len(gemms) != 1:
        raise ValueError(f"{path}: expected one classifier layer (Gemm), found {len(gemms)}")
    return convs, (init[gemms[0].input[1]], init[gemms[0].input[2]])


def _conv_bn_pairs(net: Any) -> list[tuple[Any, Any]]:
    """(conv, its BatchNorm) in forward order; both nets register them in that order."""
    from torch import nn

    modules = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.BatchNorm2d))]
    pairs = [(c, b) for c, b in zip(modules, modules[1:]) if isinstance(c, nn.Conv2d) and isinstance(b, nn.BatchNorm2d)]
    return pairs


def load_onnx_weights(net: Any, path: Path) -> None:
    """Put the ONNX file's (folded) weights into `net`; ValueError when they do not fit."""
    import torch

    convs, (fc_w, fc_b) = _onnx_convs(path)
    pairs = _conv_bn_pairs(net)
    if len(pairs) != len(convs):
        raise ValueError(f"{path}: {len(convs)} convolutions, the network has {len(pairs)}")
    head = net[-1] if isinstance(net, torch.nn.Sequential) else net._fc
    with torch.no_grad():
        for (conv, bn), (w, b) in zip(pairs, convs):
            if tuple(conv.weight.shape) != w.shape:
                raise ValueError(f"{path}: a convolution is {w.shape}, the network's {tuple(conv.weight.shape)}")
            conv.weight.copy_(torch.from_numpy(np.array(w)))
            if conv.bias is not None:
                conv.bias.zero_()
            bn.running_mean.zero_()
            bn.running_var.fill_(1.0 - bn.eps)
            bn.weight.fill_(1.0)
            bn.bias.copy_(torch.from_numpy(np.array(b)) if b is not None else torch.zeros_like(bn.bias))
        if tuple(head.weight.shape) != fc_w.shape:
            raise ValueError(f"{path}: classifier is {fc_w.shape}, the network's {tuple(head.weight.shape)}")
        head.weight.copy_(torch.from_numpy(np.array(fc_w)))
        head.bias.copy_(torch.from_numpy(np.array(fc_b)))


def freeze_batchnorm(net: Any) -> None:
    """Every BatchNorm keeps the loaded statistics (train_mode puts `_frozen` in eval)."""
    from torch import nn

    frozen = list(getattr(net, "_frozen", []))
    net._frozen = frozen + [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]


def plant_split(folder: Path, input_size: int, repeat: int) -> tuple[np.ndarray, np.ndarray]:
    """The export's photos that are not held back, at the network size, each `repeat` times
    (a few hundred plant photos beside thousands of generated ones would barely count)."""
    from vision.dataset import load_manifest

    items = load_manifest(folder).usable(held=False)
    if not items:
        return np.empty((0, input_size, input_size, 3), np.uint8), np.empty(0, np.int64)
    x = np.stack([prepare(load_image(folder / str(i.file)), input_size, input_size) for i in items])
    y = np.asarray([LABELS.index(i.label) for i in items], np.int64)
    return np.repeat(x, repeat, axis=0), np.repeat(y, repeat)


def finetune_config(base: Path, export: Path, out: Path, *, quick: bool = False, seed: int = 11,
                    **overrides: object) -> Any:
    """The fine-tuning recipe: the base model's network and input size, its weights, a small
    share of the base data (generated trays of the 'train' ranges, real photos of the train
    series) beside the plant's photos, a low learning rate and few epochs: minutes on a CPU.
    `quick`: seconds (tests); the figures of such a model mean nothing."""
    from vision.model_card import card_path
    from vision.train.config import TrainConfig

    card = ModelCard.model_validate_json(card_path(base).read_text(encoding="utf-8"))
    arch, width = arch_of(card)
    import re

    tap = re.search(r"pooled output of the first (\d+) blocks", card.architecture)
    params: dict[str, object] = dict(
        out_dir=out, seed=seed, arch=arch, input_size=card.input_shape[2], init_from=base, plant_data=export,
        version=f"{card.version}+ft", variation="train", n_per_label=150, val_per_label=40, test_per_label=40,
        epochs=2, lr=3e-4, batch_size=32, real_per_label=40, heldout_per_label=30, ood_per_kind=5,
        ood_calib_per_label=20, abstain_target=0.998, threads=1, workers=1,
        freeze_blocks=8 if arch == "lite0" else 0, ood_tap=int(tap.group(1)) if tap else 0,
    )
    if arch == "intakenet":
        params["width"] = width
    if quick:
        params.update(n_per_label=6, val_per_label=4, test_per_label=4, epochs=1, real_per_label=0,
                      heldout_per_label=2, ood_per_kind=1, ood_calib_per_label=3, gen_size=96, plant_repeat=2,
                      abstain_target=0.99)
    params.update(overrides)
    return TrainConfig.model_validate(params)
