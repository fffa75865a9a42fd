"""The gate's configuration: one TOML file, typed and strict.

An unknown key or a bad value is an error that names the key (`lanes.0.weighing.stable_time_s`),
and an invalid config starts nothing that moves.
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

LABELS = ("clean_sand", "clean_gravel", "muddy", "foreign", "empty")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScaleConfig(Strict):
    port: str = Field(description="pyserial URL: /dev/ttyUSB0, socket://host:port, rfc2217://...")
    protocol: Literal["toledo", "toledo-short"] = "toledo"
    checksum: bool = True
    baud: int = Field(9600, gt=0)
    bytesize: Literal[7, 8] = 8
    parity: Literal["N", "E", "O"] = "N"
    unit: Literal["kg", "t", "lb", "g"] = "kg"
    frame_period_s: float = Field(0.1, gt=0, description="expected time between frames")


class WeighingConfig(Strict):
    stable_band_kg: int = Field(20, ge=0, description="readings within ± this band count as steady")
    stable_time_s: float = Field(2.0, gt=0, description="how long the weight must stay steady")
    min_load_kg: int = Field(1000, gt=0, description="below this nothing is recorded as a truck")
    max_kg: int = Field(60000, gt=0, description="scale capacity Max")
    zero_band_kg: int = Field(40, ge=0, description="deck counts as empty within ± this")
    settle_timeout_s: float = Field(120.0, gt=0, description="give up waiting for a stable weight")


class ModbusDevice(Strict):
    host: str = "127.0.0.1"
    port: int = Field(502, gt=0, lt=65536)
    unit: int = Field(1, ge=0, le=247)


class SamplerConfig(ModbusDevice):
    timeout_s: float = Field(300.0, gt=0, description="whole sample cycle")
    heartbeat_timeout_s: float = Field(2.0, gt=0)


class CameraConfig(Strict):
    source: str = Field(description="device index, RTSP URL, video file or image pattern")
    frames: int = Field(5, ge=1, le=32)
    timeout_s: float = Field(5.0, gt=0)


class LaneConfig(Strict):
    id: str = Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_-]+$")
    scale: ScaleConfig
    weighing: WeighingConfig = WeighingConfig()
    sampler: SamplerConfig
    gateio: ModbusDevice
    camera: CameraConfig


class SamplingConfig(Strict):
    rate: float = Field(0.25, ge=0, le=1, description="share of trucks sampled")
    points: int = Field(3, ge=1, le=8)
    margin_m: float = Field(0.3, ge=0, description="distance kept from the bed walls")
    secret: str = Field(min_length=8, description="keyed selection; keep private, reveal after the day")


class MaterialRule(Strict):
    name_zh: str
    accept: list[str] = Field(description="labels that pass")
    reject: dict[str, str] = Field(description="label -> reason code when seen")
    min_confidence: float = Field(0.7, gt=0, le=1)

    @model_validator(mode="after")
    def _labels_known(self) -> "MaterialRule":
        for label in [*self.accept, *self.reject]:
            if label not in LABELS:
                raise ValueError(f"unknown label {label!r}; known: {', '.join(LABELS)}")
        if set(self.accept) & set(self.reject):
            raise ValueError("a label cannot be both accepted and rejected")
        return self


class ModelConfig(Strict):
    path: Path = Path("models/intake-classifier/model.onnx")


class SiteConfig(Strict):
    name: str
    data_dir: Path = Path("var")
    database: str = "sqlite:///var/intake.db"
    web_host: str = "127.0.0.1"
    web_port: int = Field(8080, ge=0, lt=65536)


class GateConfig(Strict):
    site: SiteConfig
    lanes: list[LaneConfig] = Field(min_length=1)
    sampling: SamplingConfig
    model: ModelConfig = ModelConfig()
    materials: dict[str, MaterialRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_lanes(self) -> "GateConfig":
        ids = [lane.id for lane in self.lanes]
        if len(ids) != len(set(ids)):
            raise ValueError(f"lane ids must be unique: {ids}")
        return self


class ConfigError(ValueError):
    """A config that must not start anything; the message names each bad key."""


def load_config(path: Path) -> GateConfig:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return parse_config(raw, source=str(path))


def parse_config(raw: dict[str, object], source: str = "<config>") -> GateConfig:
    try:
        return GateConfig.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{source}: invalid configuration"]
        for err in exc.errors():
            key = ".".join(str(part) for part in err["loc"]) or "(top level)"
            lines.append(f"  {key}: {err['msg']}")
        raise ConfigError("\n".join(lines)) from exc
