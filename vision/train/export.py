"""Export the trained network to ONNX (opset 17, input "input", dynamic batch) with labels inside."""
from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

OPSET = 17


def export_onnx(
    net: Any, path: Path, input_size: int, labels: list[str], outputs: tuple[str, ...] = ("logits",)
) -> None:
    import onnx
    import torch

    net = net.eval().to(memory_format=torch.contiguous_format)
    dummy = torch.zeros(1, 3, input_size, input_size)
    tmp = path.with_suffix(".tmp.onnx")
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated, but needs nothing beyond torch + onnx
        # (the dynamo exporter would add onnxscript); the graph is plain convolutions.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            net, (dummy,), str(tmp), dynamo=False, opset_version=OPSET,
            input_names=["input"], output_names=list(outputs),
            dynamic_axes={"input": {0: "batch"}, **{name: {0: "batch"} for name in outputs}},
            do_constant_folding=True,
        )
    model = onnx.load(str(tmp))
    entry = model.metadata_props.add()
    entry.key, entry.value = "labels", json.dumps(labels)
    model.producer_name = "intake-gate vision.train"
    onnx.checker.check_model(model)
    onnx.save(model, str(tmp))
    tmp.replace(path)
