"""Out-of-distribution head: Mahalanobis distance of pooled features, baked into the ONNX graph.

Lee et al. 2018: class means and one shared covariance of the penultimate features of the
training images; an image far from every class mean is one the classifier never learned
about. The score is computed inside the exported graph (a second output), so the gate needs
no extra files or maths beyond comparing it with the card's threshold.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from vision.model_card import Normalisation
from vision.preprocess import normalise


def split(net: Any) -> tuple[Any, Any]:
    """(body: image -> pooled features, head: features -> logits) of a network we build."""
    from torch import nn

    if isinstance(net, nn.Sequential):  # IntakeNet: ..., pool, flatten, dropout, linear
        return net[:-2], net[-1]

    class Lite0Body(nn.Module):  # EfficientNet-Lite0: its forward() minus dropout and _fc
        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(self, x: Any) -> Any:
            return self.net._avg_pooling(self.net.extract_features(x)).flatten(1)

    return Lite0Body(), net._fc


def lite0_taps(net: Any, tap: int) -> Any:
    """EfficientNet-Lite0 in one pass giving (pooled final features, pooled output of its first
    `tap` blocks). With those blocks frozen at their ImageNet weights, the tapped features are
    not moved by training: outlier exposure pulls non-tray pictures into the middle of the
    final features (there they sit closer to the class means than real trays do), but not here."""
    from torch import nn

    class Lite0Taps(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(self, x: Any) -> tuple[Any, Any]:
            n = self.net
            x = n._swish(n._bn0(n._conv_stem(x)))
            tapped = x
            for idx, block in enumerate(n._blocks):  # as extract_features, keeping one output
                rate = n._global_params.drop_connect_rate
                x = block(x, drop_connect_rate=rate * float(idx) / len(n._blocks) if rate else rate)
                if idx + 1 == tap:
                    tapped = x
            x = n._swish(n._bn1(n._conv_head(x)))
            return n._avg_pooling(x).flatten(1), tapped.mean((2, 3))

    return Lite0Taps()


def tapped(taps: Any) -> Any:
    """The OOD features alone of `lite0_taps`, as a module `features` can run."""
    from torch import nn

    class Tapped(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.taps = taps

        def forward(self, x: Any) -> Any:
            return self.taps(x)[1]

    return Tapped()


def features(body: Any, x: np.ndarray, norm: Normalisation, batch: int) -> np.ndarray:
    import torch

    body.eval()
    outs = []
    with torch.inference_mode():
        for begin in range(0, len(x), batch):
            outs.append(body(torch.from_numpy(normalise(x[begin : begin + batch], norm))).numpy())
    return np.concatenate(outs).astype(np.float64)


def fit_mahalanobis(feats: np.ndarray, y: np.ndarray, n_classes: int, shrink: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Class means (C, D) and a whitening matrix W (D, D) with ||(f - mu) @ W||^2 = Mahalanobis^2.

    The covariance is shrunk towards its mean variance: with a few thousand samples of a
    160-d feature some directions are nearly empty, and an unshrunk inverse would call every
    small wobble along them "unfamiliar".
    """
    means = np.stack([feats[y == k].mean(0) for k in range(n_classes)])
    centred = feats - means[y]
    cov = centred.T @ centred / max(len(feats) - 1, 1)
    cov = (1 - shrink) * cov + shrink * np.trace(cov) / len(cov) * np.eye(len(cov))
    precision = np.linalg.inv(cov)
    whiten = np.linalg.cholesky((precision + precision.T) / 2)  # P = L L^T, so d P d = |d L|^2
    return means, whiten


def with_ood(net: Any, means: np.ndarray, whiten: np.ndarray, tap: int = 0) -> Any:
    """The network with a second output: min over classes of the squared Mahalanobis distance,
    of the final features or (`tap` > 0, Lite0) of the pooled output of the first `tap` blocks."""
    import torch
    from torch import nn

    body, head = split(net)
    taps = lite0_taps(net, tap) if tap else None

    class WithOod(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body, self.head = body, head
            self.register_buffer("means", torch.tensor(means, dtype=torch.float32))
            self.register_buffer("whiten", torch.tensor(whiten, dtype=torch.float32))

        def forward(self, x: Any) -> tuple[Any, Any]:
            f, g = self.taps(x) if self.taps is not None else (self.body(x),) * 2
            diff = (g.unsqueeze(1) - self.means.unsqueeze(0)) @ self.whiten
            return self.head(f), diff.pow(2).sum(-1).min(1).values

    model = WithOod()
    model.taps = taps  # a submodule (or None) sharing the network's weights
    return model.eval()


def threshold(scores_per_image: np.ndarray, percentile: float) -> float:
    return float(np.percentile(scores_per_image, percentile))
