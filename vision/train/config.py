"""Everything that decides a training run; recorded (in part) in the model card."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class TrainConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    out_dir: Path
    name: str = "intake-classifier"
    version: str = "0.1.0"
    seed: int = 7
    n_per_label: int = Field(1500, ge=2)
    val_per_label: int = Field(200, ge=2)
    test_per_label: int = Field(300, ge=2)
    epochs: int = Field(14, ge=1)
    batch_size: int = Field(64, ge=2)
    lr: float = Field(3e-3, gt=0)
    weight_decay: float = Field(1e-4, ge=0)
    input_size: int = Field(96, ge=16, description="network input side (square)")
    gen_size: int = Field(256, ge=32, description="side of the generated photos before resizing")
    width: int = Field(24, ge=4, description="channels of the first conv block")
    threads: int = Field(2, ge=1, description="torch intra-op threads (fixed for determinism)")
    workers: int = Field(2, ge=1, description="processes generating images")
    # Missing a foreign object can let a bad load through, a false alarm only costs a review.
    # Foreign matter is also the most varied class, so it gets more (not just heavier) examples.
    oversample: dict[str, float] = Field(default_factory=lambda: {"foreign": 2.0})
    # A missed contaminant costs more than a needless REVIEW, but weighing foreign up (1.5) made
    # an earlier candidate call clean gravel foreign. The shipped model's card (`selection`)
    # gives the exact command that made it; the defaults are the small from-scratch recipe.
    class_weights: dict[str, float] = Field(default_factory=dict)
    arch: Literal["intakenet", "lite0"] = "intakenet"
    # Lite0 only: the stem and this many MBConv blocks keep their ImageNet weights (and BN
    # statistics). Generic edge/texture filters need no retraining; it halves the step time.
    freeze_blocks: int = Field(0, ge=0, le=16, description="Lite0: frozen MBConv blocks after the stem")
    # Lite0 only: the OOD head reads the pooled output of this many (frozen) blocks instead of
    # the final features, which outlier exposure reshapes; 0: the final features.
    ood_tap: int = Field(0, ge=0, le=16, description="Lite0: blocks whose pooled output the OOD head reads")
    noise_aug: float = Field(0.0, ge=0, description="max std of the Gaussian pixel noise added in augmentation")
    variation: str = Field("legacy", description="generator ranges for train/validation/test (vision.synth.variation)")
    # Real photos (data/real-photos, train series only) under the generator's contaminants and
    # camera: per label but empty, in training; a quarter as many (other crops) in validation.
    real_per_label: int = Field(0, ge=0, description="training samples per label made from real photos")
    # Outlier exposure (Hendrycks et al. 2019): generated non-tray pictures of a seed no test
    # uses, trained towards the uniform distribution, so they end below every PASS threshold.
    outlier_per_kind: int = Field(0, ge=0, description="non-tray training pictures per kind (seed + 4000)")
    heldout_variation: str = Field("shifted", description="other ranges, other seed: the figures that count")
    heldout_per_label: int = Field(200, ge=1)
    ood_per_kind: int = Field(30, ge=1, description="non-tray pictures per kind in the OOD test")
    ood_calib_per_label: int = Field(80, ge=2, description="validation-seed photos whose tiles set the OOD threshold")
    ood_percentile: float = Field(99.0, gt=50, lt=100)
    data_cache: Path | None = Field(None, description="folder to keep generated splits in (comparison runs)")
    selection: str | None = Field(None, description="why this architecture ships; written into the card")
    abstain_target: float = Field(0.99, gt=0, le=1, description="validation accuracy wanted above the abstain threshold")
    # Fine-tuning (intake vision train --from): start from this ONNX model's weights instead
    # of ImageNet or random ones, and add the plant's exported photos (vision.dataset) that are
    # not held back, each `plant_repeat` times.
    init_from: Path | None = Field(None, description="ONNX model whose weights the run starts from")
    plant_data: Path | None = Field(None, description="dataset export folder (intake vision dataset export)")
    plant_repeat: int = Field(4, ge=1, description="times each plant photo is in the training set")
    show_progress: bool = True

    @model_validator(mode="after")
    def _tap_needs_lite0(self) -> TrainConfig:
        # The tap reads Lite0's blocks; IntakeNet has none to read.
        if self.ood_tap and self.arch != "lite0":
            raise ValueError("ood_tap needs arch lite0")
        return self

    @property
    def val_seed(self) -> int:
        return self.seed + 1

    @property
    def test_seed(self) -> int:
        return self.seed + 2

    @property
    def heldout_seed(self) -> int:
        return self.seed + 1000

    @property
    def ood_seed(self) -> int:
        return self.seed + 2000

    @property
    def outlier_seed(self) -> int:
        return self.seed + 4000

    @classmethod
    def quick(cls, out_dir: Path, seed: int = 7, **overrides: object) -> TrainConfig:
        """A tiny run for tests: seconds, not minutes; a real but weak model."""
        params: dict[str, object] = dict(
            out_dir=out_dir, seed=seed, n_per_label=48, val_per_label=12, test_per_label=12,
            epochs=3, input_size=48, gen_size=96, width=8, workers=1, batch_size=32,
            heldout_per_label=6, ood_per_kind=2, ood_calib_per_label=6,
        )
        params.update(overrides)
        return cls.model_validate(params)
