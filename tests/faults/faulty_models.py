"""Real ONNX files that misbehave, each with a model card the gate accepts (hash included).

They all pass the classifier's load-time self-test, which runs a blank (all-zero) input, and
misbehave only on a real photo: NaN outputs, or inference so slow it misses any deadline. The
wrong-shape model is refused at load time by the input-contract check.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from intake.demo.runner import PROJECT_ROOT
from vision.model_card import sha256_file

SHIPPED_CARD = PROJECT_ROOT / "models" / "intake-classifier" / "model.json"
OPSET = 13
N_LABELS = 5


def _card() -> dict:
    return json.loads(SHIPPED_CARD.read_text(encoding="utf-8"))


def _input() -> str:
    return str(_card()["input_name"])


def card_side() -> int:
    """The input size the shipped card declares (height = width)."""
    return int(_card()["input_shape"][2])


def _head(nodes: list, inits: list) -> str:
    """Mean colour per channel -> 5 logits: a working (if dull) classifier. Returns its output."""
    inits.append(numpy_helper.from_array(np.random.default_rng(0).normal(size=(3, N_LABELS)).astype(np.float32), "w"))
    nodes += [helper.make_node("ReduceMean", [_input()], ["feat"], axes=[2, 3], keepdims=0),
              helper.make_node("MatMul", ["feat", "w"], ["logits"])]
    return "logits"


def _save(graph_nodes: list, inits: list, out: str, folder: Path, side: int | None = None) -> Path:
    card = _card()
    side = side or card_side()
    x = helper.make_tensor_value_info(card["input_name"], TensorProto.FLOAT, [1, 3, side, side])
    y = helper.make_tensor_value_info(out, TensorProto.FLOAT, [1, N_LABELS])
    graph = helper.make_graph(graph_nodes, "faulty", [x], [y], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "model.onnx"
    onnx.save(model, path)
    card["sha256"] = sha256_file(path)   # the card vouches for this file: only its behaviour is wrong
    card.pop("ood", None)
    (folder / "model.json").write_text(json.dumps(card, indent=2), encoding="utf-8")
    return path


def nan_model(folder: Path) -> Path:
    """logits + sqrt(-sum|x|): finite (sqrt(-0) = -0) on the blank self-test, NaN on a photo."""
    nodes: list = []
    inits = [numpy_helper.from_array(np.array([1, 2, 3], np.int64), "all_axes")]
    logits = _head(nodes, inits)
    nodes += [helper.make_node("Abs", [_input()], ["abs"]),
              helper.make_node("ReduceSum", ["abs", "all_axes"], ["mass"], keepdims=1),
              helper.make_node("Neg", ["mass"], ["neg"]),
              helper.make_node("Sqrt", ["neg"], ["root"]),
              helper.make_node("Reshape", ["root", "one_one"], ["root2"]),
              helper.make_node("Add", [logits, "root2"], ["out"])]
    inits.append(numpy_helper.from_array(np.array([1, 1], np.int64), "one_one"))
    return _save(nodes, inits, "out", folder)


def slow_model(folder: Path, trips: int = 16000, side: int = 192) -> Path:
    """A Loop of `trips` (side x side) matmuls on any photo (about 1-2 s on one core), and of
    none on the blank self-test: the trip count is min(sum|x| x 1e6, trips)."""
    nodes: list = []
    rng = np.random.default_rng(1)
    inits = [numpy_helper.from_array(np.array([1, 2, 3], np.int64), "all_axes"),
             numpy_helper.from_array(np.array(1e6, np.float32), "per_unit"),
             numpy_helper.from_array(np.array(float(trips), np.float32), "cap"),
             numpy_helper.from_array((rng.normal(size=(side, side)) / side).astype(np.float32), "a"),
             numpy_helper.from_array(np.array(True), "go"),
             numpy_helper.from_array(np.array(1e-6, np.float32), "tiny")]
    logits = _head(nodes, inits)
    body = helper.make_graph(
        [helper.make_node("MatMul", ["s_in", "a"], ["prod"]),
         helper.make_node("Tanh", ["prod"], ["s_out"]),
         helper.make_node("Identity", ["cond_in"], ["cond_out"])],
        "spin",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("s_in", TensorProto.FLOAT, [side, side])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("s_out", TensorProto.FLOAT, [side, side])])
    nodes += [helper.make_node("Abs", [_input()], ["abs"]),
              helper.make_node("ReduceSum", ["abs", "all_axes"], ["mass"], keepdims=0),
              helper.make_node("Mul", ["mass", "per_unit"], ["scaled"]),
              helper.make_node("Min", ["scaled", "cap"], ["trips_f"]),
              helper.make_node("Cast", ["trips_f"], ["trips"], to=TensorProto.INT64),
              helper.make_node("Mul", ["a", "mass"], ["s0"]),   # depends on the input: not foldable
              helper.make_node("Loop", ["trips", "go", "s0"], ["s_final"], body=body),
              helper.make_node("ReduceMean", ["s_final"], ["spun"], keepdims=1),
              helper.make_node("Mul", ["spun", "tiny"], ["nudge"]),
              helper.make_node("Add", [logits, "nudge"], ["out"])]
    return _save(nodes, inits, "out", folder)


def wrong_shape_model(folder: Path) -> Path:
    """An input half the size the shipped card declares (M3)."""
    nodes: list = []
    inits: list = []
    logits = _head(nodes, inits)
    return _save(nodes, inits, logits, folder, side=card_side() // 2)
