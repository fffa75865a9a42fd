from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from intake.cli.vision import app
from vision.model_card import LABELS
from vision.synth import write_dataset

runner = CliRunner()


def test_classify_json_contract(tmp_path: Path, committed_model: Path, sample_images: dict[str, np.ndarray]) -> None:
    paths = []
    for label in ("clean_sand", "empty"):
        path = tmp_path / f"{label}.png"
        cv2.imwrite(str(path), sample_images[label])
        paths.append(str(path))
    result = runner.invoke(app, ["classify", "--model", str(committed_model), "--json", *paths])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["image"] for line in lines] == paths
    for line in lines:
        assert set(line) == {"image", "label", "confidence", "probs"}
        assert list(line["probs"]) == list(LABELS)


def test_classify_unreadable_image_exits_2(tmp_path: Path, committed_model: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"nope")
    result = runner.invoke(app, ["classify", "--model", str(committed_model), str(bad)])
    assert result.exit_code == 2


def test_classify_bad_model_exits_1(tmp_path: Path) -> None:
    image = tmp_path / "x.png"
    cv2.imwrite(str(image), np.zeros((10, 10, 3), np.uint8))
    result = runner.invoke(app, ["classify", "--model", str(tmp_path / "none.onnx"), str(image)])
    assert result.exit_code == 1


def test_classify_with_material_adds_verdict(tmp_path: Path, committed_model: Path,
                                             sample_images: dict[str, np.ndarray]) -> None:
    path = tmp_path / "gravel.png"
    cv2.imwrite(str(path), sample_images["clean_gravel"])
    result = runner.invoke(app, ["classify", "--model", str(committed_model), "--material", "sand", "--json", str(path)])
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout)
    assert set(line) == {"image", "label", "confidence", "probs", "verdict", "reasons"}
    assert line["verdict"] in ("reject", "review")  # gravel declared as sand is never a PASS
    unknown = runner.invoke(app, ["classify", "--model", str(committed_model), "--material", "cement", str(path)])
    assert unknown.exit_code == 2


def test_evaluate_json(tmp_path: Path, committed_model: Path) -> None:
    write_dataset(tmp_path / "data", n_per_label=3, seed=31337, size=256, show_progress=False)
    result = runner.invoke(app, ["evaluate", "--model", str(committed_model), "--data", str(tmp_path / "data"), "--json"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["n"] == 3 * len(LABELS)
    assert set(metrics["per_class"]) == set(LABELS)
    human = runner.invoke(app, ["evaluate", "--model", str(committed_model), "--data", str(tmp_path / "data")])
    assert human.exit_code == 0 and "Confusion matrix" in human.stdout


def test_evaluate_empty_folder_exits_2(tmp_path: Path, committed_model: Path) -> None:
    result = runner.invoke(app, ["evaluate", "--model", str(committed_model), "--data", str(tmp_path)])
    assert result.exit_code == 2


def test_evaluate_writes_gate_figures_and_plots(tmp_path: Path, committed_model: Path) -> None:
    data = tmp_path / "data"
    write_dataset(data, n_per_label=2, seed=4711, size=256, show_progress=False)
    from vision.synth.ood import write_ood

    write_ood(data / "ood", 1, seed=4711)
    out = tmp_path / "report"
    result = runner.invoke(app, ["evaluate", "--model", str(committed_model), "--data", str(data),
                                 "--out", str(out), "--tiles", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    gate = payload["gate"]
    assert gate["tiles"] is True and gate["n"] == 2 * len(LABELS)
    assert 0.0 <= gate["false_pass_rate"] <= 1.0 and 0.0 <= gate["ece"] <= 1.0
    assert gate["ood_review_rate"] is not None and gate["ood_pass_rate"] is not None
    for name in ("confusion.png", "reliability.png"):
        image = cv2.imread(str(out / name))
        assert image is not None and image.std() > 10
    assert json.loads((out / "metrics.json").read_text())["gate"] == gate
    human = runner.invoke(app, ["evaluate", "--model", str(committed_model), "--data", str(data)])
    assert human.exit_code == 0 and "false-pass rate" in human.stdout


def test_train_refuses_an_unknown_architecture(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "--out", str(tmp_path), "--arch", "resnet"])
    assert result.exit_code == 2


def test_classify_with_mm_per_px_measures_known_grains_and_the_sand_limit_applies(
        tmp_path: Path, committed_model: Path) -> None:
    from vision.synth.particles_known import known_sample

    sample = known_sample(np.random.default_rng(11), 0.25, size=640)   # grains up to 12 mm
    path = tmp_path / "tray.png"
    cv2.imwrite(str(path), sample.image)
    args = ["classify", "--model", str(committed_model), "--mm-per-px", "0.25", str(path)]
    result = runner.invoke(app, [*args[:-1], "--json", "--material", "sand", str(path)])
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout)
    m = line["particles"]
    assert m["measured"] is True and m["mm_per_px"] == 0.25
    assert abs(m["largest_mm"] - sample.largest_mm) <= 0.1 * sample.largest_mm
    assert line["verdict"] != "pass"   # stones over sand's 9.5 mm limit, whatever the label says
    human = runner.invoke(app, args)
    assert human.exit_code == 0 and "grains, largest" in human.stdout
    refused = runner.invoke(app, ["classify", "--model", str(committed_model), "--mm-per-px", "0", str(path)])
    assert refused.exit_code == 2


def test_classify_with_mm_per_px_grades_and_the_rule_s_grading_limits_apply(
        tmp_path: Path, committed_model: Path) -> None:
    from intake.cli.vision import _default_config
    from vision.synth.generator import generate

    path = tmp_path / "gravel.png"
    cv2.imwrite(str(path), generate("clean_gravel", np.random.default_rng(5), size=256))
    config = tmp_path / "gate.toml"
    config.write_text(_default_config().read_text(encoding="utf-8") + '\n[materials.fine]\nname_zh = "细砂"\n'
                      'accept = ["clean_sand"]\nreject = { clean_gravel = "wrong_material" }\nmax_d50_mm = 1.0\n',
                      encoding="utf-8")
    args = ["classify", "--model", str(committed_model), "--mm-per-px", "0.5", "--config", str(config),
            "--material", "fine"]
    result = runner.invoke(app, [*args, "--json", str(path)])
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout)
    g = line["grading"]
    assert g["measured"] is True and g["d50_mm"] == pytest.approx(g["d50_px"] * 0.5, rel=1e-3) and g["d50_mm"] > 1.0
    assert line["verdict"] == "reject" and line["reasons"][:2] == ["wrong_material", "d50_above_max"]
    human = runner.invoke(app, [*args, str(path)])
    assert human.exit_code == 0 and f"D50/D90 {g['d10_mm']:.2f}/{g['d50_mm']:.2f}" in human.stdout
    ungraded = runner.invoke(app, ["classify", "--model", str(committed_model), "--config", str(config),
                                   "--material", "fine", "--json", str(path)])
    # Not graded: the look alone decides as before; a confident gravel view on sand still rejects.
    assert json.loads(ungraded.stdout)["reasons"] == ["wrong_material"] and "grading" not in ungraded.stdout
