"""Fine-tuning starts from the model in service: its ONNX weights (BatchNorm folded into the
convolutions by the export) go back into the torch network and give the same logits."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")


def test_an_exported_network_loads_back_with_the_same_logits(tmp_path: Path) -> None:
    import onnxruntime as ort

    from vision.train.export import export_onnx
    from vision.train.finetune import freeze_batchnorm, load_onnx_weights
    from vision.train.net import build_net, train_mode

    torch.manual_seed(3)
    net = build_net(5, 8)
    for m in net.modules():   # non-trivial BatchNorm statistics, as after training
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
    path = tmp_path / "model.onnx"
    export_onnx(net, path, 48, ["a", "b", "c", "d", "e"])
    fresh = build_net(5, 8)
    load_onnx_weights(fresh, path)
    freeze_batchnorm(fresh)
    x = np.random.default_rng(0).standard_normal((3, 3, 48, 48)).astype(np.float32)
    bn = [m for m in fresh.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    before = [m.running_var.clone() for m in bn]
    train_mode(fresh)          # fine-tuning mode: every BatchNorm keeps the loaded statistics
    fresh(torch.from_numpy(x))
    assert all(not m.training for m in bn) and all(torch.equal(a, m.running_var) for a, m in zip(before, bn))
    expected = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(["logits"], {"input": x})[0]
    with torch.no_grad():
        got = fresh.eval()(torch.from_numpy(x)).numpy()
    assert np.abs(got - expected).max() < 1e-4
    with pytest.raises(ValueError, match="a convolution is"):   # another network: refused, not half loaded
        load_onnx_weights(build_net(5, 16), path)
