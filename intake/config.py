"""The gate's configuration: one TOML file, typed and strict.

An unknown key or a bad value is an error that names the key (`lanes.0.weighing.stable_time_s`),
and an invalid config starts nothing that moves.
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hardware.scale.codecs import get_codec, get_decoder
from intake.alarms.config import AlarmsConfig

LABELS = ("clean_sand", "clean_gravel", "muddy", "foreign", "empty")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScaleConfig(Strict):
    port: str = Field(description="pyserial URL: /dev/ttyUSB0, socket://host:port, rfc2217://...")
    protocol: str = Field("toledo", description="an indicator protocol of hardware.scale.codecs")
    checksum: bool = Field(True, description="Toledo only: 18/12-byte frames with a checksum byte")
    command: bool = Field(False, description="poll the indicator (Yaohua/Keli/SMA command mode)")
    confirm: int = Field(2, ge=1, le=5, description="identical frames needed where a protocol has no checksum")
    poll_period_s: float = Field(0.2, gt=0, description="request interval for polled protocols")
    baud: int = Field(9600, gt=0)
    bytesize: Literal[7, 8] = 8
    parity: Literal["N", "E", "O"] = "N"
    unit: Literal["kg", "t", "lb", "g"] = "kg"
    frame_period_s: float = Field(0.1, gt=0, description="expected time between frames")
    # The instrument's identity (R76 marking), stamped on every weighing with Max from [weighing].
    model: Optional[str] = Field(None, description="indicator make/model, e.g. 'Yaohua XK3190-A12E'")
    e_kg: float = Field(20.0, gt=0, description="verification scale interval e of the weighbridge, kg")

    def identity(self, max_kg: int) -> dict[str, object]:
        """The Weighing columns that say which instrument took a weight: indicator, Max, e."""
        indicator = self.protocol if not self.model else f"{self.protocol}:{self.model}"
        return {"indicator": indicator, "scale_max_kg": max_kg, "scale_e_kg": self.e_kg}

    @field_validator("protocol")
    @classmethod
    def _known_protocol(cls, name: str) -> str:
        get_codec(name)  # UnknownProtocol (a ValueError) lists the valid names
        return name

    @property
    def polled(self) -> bool:
        """The reader asks for every reading (so a reading is stale after two polls)."""
        return get_codec(self.protocol).polled(self.command)

    def decoder_options(self) -> dict[str, object]:
        """What the protocol's decoder takes: only the options that protocol knows."""
        codec = get_codec(self.protocol)
        options: dict[str, object] = dict(codec.command_options) if self.command else {}
        if codec.checksum_optional:
            options["checksum"] = self.checksum
        elif not codec.checksum and not options:
            options["confirm"] = self.confirm  # no checksum: repeat agreement guards against noise
        if codec.units == ("kg",) or "unit" in self.model_fields_set:
            # Frames without a unit need it from config; otherwise an explicit unit overrides.
            options["unit"] = self.unit
        return options

    @model_validator(mode="after")
    def _options_fit_protocol(self) -> "ScaleConfig":
        if self.command and get_codec(self.protocol).polling != "optional":
            raise ValueError(f"protocol {self.protocol} has no command mode")
        try:
            get_decoder(self.protocol, **self.decoder_options())
        except (TypeError, ValueError) as exc:
            raise ValueError(f"protocol {self.protocol}: {exc}") from exc
        return self


class WeighingConfig(Strict):
    stable_band_kg: int = Field(20, ge=0, description="readings within ± this band count as steady")
    stable_time_s: float = Field(2.0, gt=0, description="how long the weight must stay steady")
    min_load_kg: int = Field(1000, gt=0, description="below this nothing is recorded as a truck")
    max_kg: int = Field(60000, gt=0, description="scale capacity Max")
    zero_band_kg: int = Field(40, ge=0, description="deck counts as empty within ± this")
    settle_timeout_s: float = Field(120.0, gt=0, description="give up waiting for a stable weight")
    unknown_timeout_s: float = Field(5.0, gt=0, description="weight unknown this long voids the pass")
    drift_band_kg: int = Field(100, ge=0, description="after the weigh-in, a change beyond this holds the visit")
    tare_tolerance_kg: int = Field(500, ge=0, description="weigh-out vs the vehicle's stored tare")
    repeat_window_s: float = Field(600.0, ge=0, description="a new visit this soon after the last one is held")
    # W8: a stored tare is tied to a date and expires; the reference gives no figure, 90 days is
    # the common vendor default. A visit compared with an older (or undated) one is held.
    stored_tare_max_age_days: float = Field(90.0, gt=0, description="a stored tare older than this is expired")
    # One weighing: where the plant's rules allow it, a vehicle with a valid stored tare whose
    # load is let in leaves without a weigh-out; its ticket says the tare is stored, with its date.
    stored_tare_exit: bool = Field(False, description="a let-in load of a vehicle with a valid stored tare "
                                                      "ends its delivery at the weigh-in (no weigh-out)")


class AttendantConfig(Strict):
    """The remote attendant (staff role `attendant`, the console at /console)."""
    hold_s: float = Field(0.0, ge=0, le=3600, description="a loaded truck judged REVIEW waits this long on the "
                                                          "deck for the attendant's release, send-back or parking, "
                                                          "then leaves by the return lane; 0: no attendant, sent "
                                                          "back at once")


class ModbusDevice(Strict):
    host: str = "127.0.0.1"
    port: int = Field(502, gt=0, lt=65536)
    unit: int = Field(1, ge=0, le=247)


class SamplerConfig(ModbusDevice):
    timeout_s: float = Field(300.0, gt=0, description="whole sample cycle")
    heartbeat_timeout_s: float = Field(2.0, gt=0)
    interlock_timeout_s: float = Field(180.0, gt=0, description="wait for driver-out, barriers, boom")
    # The lane checks the interlocks at every tick as well and stops the probe itself.
    poll_s: float = Field(0.2, gt=0, le=60, description="sampler status poll during a cycle")


class SafetyConfig(Strict):
    """Barrier and probe safety (docs/install.md, safety checklist). Simulated seconds."""
    loop_clear_s: float = Field(2.0, gt=0, description="a barrier closes only after its loop read clear this long")
    barrier_travel_s: float = Field(8.0, gt=0, description="an arm not at its commanded limit after this is a fault")
    io_heartbeat_timeout_s: float = Field(2.0, gt=0, description="I/O module heartbeat unchanged this long: frozen")


class CameraConfig(Strict):
    source: str = Field(description="device index, RTSP URL, video file or image pattern")
    frames: int = Field(5, ge=1, le=32)
    timeout_s: float = Field(5.0, gt=0)
    # Scale for particle measurements: the file `intake camera calibrate` writes, or a figure.
    calibration: Optional[Path] = Field(None, description="calibration JSON from `intake camera calibrate`")
    mm_per_px: Optional[float] = Field(None, gt=0, description="millimetres per pixel on the tray; overrides calibration")


class EvidenceCameraConfig(Strict):
    """One deck evidence camera (front, rear, top, cab, ...): a snapshot at every stable weight."""
    view: str = Field(min_length=1, max_length=16, pattern=r"^[a-z0-9_-]+$",
                      description="the view's name on the records and pages: front, rear, top, cab, ...")
    source: str = Field(min_length=1, description="device index, RTSP URL, video file or image file/pattern")
    timeout_s: float = Field(3.0, gt=0, le=30, description="wall seconds the snapshot may take; slower is a missing view")
    jpeg_quality: int = Field(85, ge=30, le=100, description="JPEG quality of the stored snapshot")


class RfidConfig(Strict):
    port: str = Field(description="pyserial URL of the lane's RFID reader")
    protocol: Literal["em4100", "uhf"] = "em4100"
    baud: int = Field(9600, gt=0)
    repeat_s: float = Field(2.0, gt=0, description="a card still in the field is reported again after this")


class IdentificationConfig(Strict):
    webhook_token: str = Field("", description="bearer token for plate-camera events; empty: webhook off")
    min_plate_confidence: float = Field(0.9, ge=0, le=1)
    lab_token: str = Field("", description="bearer token for the lab results API; empty: API off")
    erp_token: str = Field("", description="bearer token for the ERP's settlement API "
                                           "(/api/settlement/...); empty: API off")


class PrinterConfig(Strict):
    """The lane's kiosk receipt printer (ESC/POS): raw TCP 9100, a serial line, or a USB
    printer's character device. Tickets print on it after each weigh-out."""
    link: Literal["tcp", "serial", "usb"]
    host: Optional[str] = Field(None, min_length=1, description="tcp: the printer's address")
    port: int = Field(9100, gt=0, lt=65536, description="tcp: the raw printing port")
    device: Optional[str] = Field(None, min_length=1, description="serial: path or pyserial URL; usb: /dev/usb/lp0")
    baud: int = Field(9600, gt=0, description="serial only")
    timeout_s: float = Field(5.0, gt=0, le=60, description="a job not taken within this is a failed print")
    paper_mm: Literal[58, 80] = 80

    @model_validator(mode="after")
    def _address(self) -> "PrinterConfig":
        if self.link == "tcp" and (not self.host or self.device):
            raise ValueError("a tcp printer needs host (and no device)")
        if self.link != "tcp" and (not self.device or self.host):
            raise ValueError(f"a {self.link} printer needs device (and no host)")
        return self


class LaneConfig(Strict):
    id: str = Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_-]+$")
    rfid: RfidConfig | None = None
    scale: ScaleConfig
    weighing: WeighingConfig = WeighingConfig()
    sampler: SamplerConfig
    gateio: ModbusDevice
    camera: CameraConfig
    safety: SafetyConfig = SafetyConfig()
    attendant: AttendantConfig = AttendantConfig()
    printer: PrinterConfig | None = None    # no printer: tickets are still issued, printed later
    evidence: list[EvidenceCameraConfig] = Field(
        default_factory=list, max_length=8, description="deck evidence cameras (intake.evidence); none: no snapshots")

    @model_validator(mode="after")
    def _unique_views(self) -> "LaneConfig":
        views = [cam.view for cam in self.evidence]
        if len(views) != len(set(views)):
            raise ValueError(f"evidence camera views must be unique: {views}")
        return self


class RateOverride(Strict):
    """Normal-inspection rate for one supplier and/or material; "*" matches any."""
    supplier: str = "*"
    material: str = "*"
    rate: float = Field(ge=0, le=1)


class MaterialSampling(Strict):
    points: Optional[int] = Field(None, ge=3, le=8, description="probe points; default sampling.points")
    bulk_density_t_m3: Optional[float] = Field(None, gt=0, description="turns lot_m3 into tonnes")


class Obstacle(Strict):
    """A rectangle in bed coordinates (m from the front-left corner) the probe must avoid."""
    x_m: float = Field(ge=0)
    y_m: float = Field(ge=0)
    length_m: float = Field(gt=0)
    width_m: float = Field(gt=0)
    plates: list[str] = Field(default_factory=list, description="vehicles it applies to; empty = all")


class SwitchingRules(Strict):
    """Normal / tightened / reduced inspection, in the spirit of ISO 2859-3 skip-lot."""
    tighten_window: int = Field(5, ge=1, description="look at this many latest results ...")
    tighten_rejects: int = Field(2, ge=1, description="... and tighten at this many rejects among them")
    relax_after_passes: int = Field(5, ge=1, description="tightened -> normal after this many passes in a row")
    reduce_after_passes: int = Field(10, ge=1, description="normal -> reduced after this many passes in a row")
    tightened_factor: float = Field(2.0, ge=1, description="tightened rate = normal rate x this (max 1)")
    reduced_factor: float = Field(0.5, gt=0, le=1, description="reduced rate = normal rate x this")
    history_len: int = Field(50, ge=1, le=1000, description="results replayed to find the mode")

    @model_validator(mode="after")
    def _window(self) -> "SwitchingRules":
        if self.tighten_rejects > self.tighten_window:
            raise ValueError("tighten_rejects cannot exceed tighten_window")
        if self.history_len < self.tighten_window:
            raise ValueError("history_len must be at least tighten_window")
        return self


class SamplingConfig(Strict):
    rate: float = Field(0.25, ge=0, le=1, description="share of trucks sampled (normal inspection)")
    points: int = Field(3, ge=3, le=8, description="probe points per sample; ASTM D75 asks at least 3")
    margin_m: float = Field(0.3, ge=0, description="distance kept from the bed walls")
    secret: str = Field(min_length=8, description="keyed blind codes; keep private")
    min_separation_m: float = Field(0.5, ge=0, description="minimum distance between two probe points")
    max_attempts: int = Field(5000, ge=1, le=1_000_000, description="candidate draws before a plan fails")
    lot_tonnes: float = Field(600, gt=0, description="a lot closes at this delivered tonnage ...")
    lot_m3: float = Field(400, gt=0, description="... or this volume, for materials with a bulk density")
    timezone: str = Field("UTC", description="IANA zone whose midnight starts a sampling day")
    rates: list[RateOverride] = Field(default_factory=list)
    materials: dict[str, MaterialSampling] = Field(default_factory=dict)
    obstacles: list[Obstacle] = Field(default_factory=list)
    switching: SwitchingRules = SwitchingRules()

    @model_validator(mode="after")
    def _zone(self) -> "SamplingConfig":
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.timezone!r}") from exc
        return self


class ShareAbove(Strict):
    """At most `share` of the surface coarser than `size_mm` (from the grading's percentiles)."""
    size_mm: float = Field(gt=0, description="sieve size, mm")
    share: float = Field(ge=0, le=1, description="largest share of the surface coarser than size_mm")


class MaterialRule(Strict):
    name_zh: str
    accept: list[str] = Field(description="labels that pass")
    reject: dict[str, str] = Field(description="label -> reason code when seen")
    min_confidence: float = Field(0.7, gt=0, le=1)
    # Particle limits (vision.particles). Set: a load above them is REJECT, and a load that
    # cannot be measured is REVIEW, never PASS.
    max_particle_mm: Optional[float] = Field(None, gt=0, description="largest grain width allowed, mm")
    max_elongated_share: Optional[float] = Field(None, ge=0, le=1, description="share of elongated grains allowed")
    # Grading limits (vision.grading, on packed material). Set, with a camera scale: the grading
    # decides sand or gravel (a D50 out of range is wrong_material), and a load that cannot be
    # graded is REVIEW, never PASS.
    min_d50_mm: Optional[float] = Field(None, gt=0, description="finest median grain size allowed, mm")
    max_d50_mm: Optional[float] = Field(None, gt=0, description="coarsest median grain size allowed, mm")
    max_share_above: Optional[ShareAbove] = Field(None, description="{ size_mm, share }: coarse share allowed")

    @model_validator(mode="after")
    def _d50_range(self) -> "MaterialRule":
        if self.min_d50_mm is not None and self.max_d50_mm is not None and self.min_d50_mm >= self.max_d50_mm:
            raise ValueError(f"min_d50_mm ({self.min_d50_mm}) must be below max_d50_mm ({self.max_d50_mm})")
        return self

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
    # Classify each frame whole and as four overlapping tiles: a small contaminant fills more of
    # a tile, and the card's false-pass figure with tiles is the one the gate must meet.
    tiles: bool = True
    # Wall seconds one frame's inference (whole + tiles) may take; slower is a fault (REVIEW).
    inference_deadline_s: float = Field(5.0, gt=0, le=60)
    # One pool of sessions for every lane (vision/pool.py): inferences at once never exceed
    # `sessions`, so four lanes on a two-core PC do not slow each other's frames fourfold.
    sessions: Optional[int] = Field(
        None, ge=1, le=16, description="ONNX sessions shared by all lanes (inferences at once); "
                                       "empty: one per lane, at most one per core")
    intra_op_threads: Optional[int] = Field(
        None, ge=1, le=64, description="threads each session computes with; empty: 1 (sessions x threads "
                                       "never above the cores)")


class RetentionConfig(Strict):
    """How long sample photos are kept on the gate PC (the records themselves are kept)."""
    pass_days: int = Field(90, ge=1, description="photos of PASS loads, counted from the decision")
    reject_days: int = Field(365, ge=1, description="photos of REJECT loads, counted from the decision")
    labelled_days: Optional[int] = Field(
        None, ge=1, description="photos a reviewer or the lab labelled (training data); empty: kept")
    evidence_days: int = Field(
        365, ge=1, description="deck evidence snapshots, counted from the weighing; kept while the load awaits review")
    # Off by default: it removes photos before their retention is met, which the plant must
    # choose (reliability-and-security S5: overwrite only data explicitly released).
    min_free_gb: float = Field(
        0.0, ge=0, description="below this free space on the data disk, PASS photos go oldest first, "
                               "before their age; 0: off")


class SiteConfig(Strict):
    name: str = Field(description="the plant's name: on tickets, and the site's name at the centre")
    # What a relative path in this file is relative to (intake.config_paths): the file's own
    # folder on a site; the demo's file, run from a checkout, says working_dir.
    paths_relative_to: Literal["config_file", "working_dir"] = Field(
        "config_file", description="what a relative path in this file is relative to")
    data_dir: Path = Field(Path("var"), description="sample photos, backups, the checkpoint (0700)")
    database: str = Field("sqlite:///var/intake.db", description="SQLAlchemy URL of the gate's records")
    audit_key: str = Field("env:INTAKE_AUDIT_KEY", pattern=r"^(env|file):.+",
                           description="audit-chain HMAC key, kept outside the database: env:NAME or file:PATH")
    web_host: str = Field("127.0.0.1", description="address the kiosk, staff pages and APIs listen on")
    web_port: int = Field(8080, ge=0, lt=65536, description="their port")
    forwarded_allow_ips: list[str] = Field(
        default_factory=list, description="reverse proxies whose X-Forwarded-For is believed; empty: none")
    kiosk_display_token: str = Field(
        "", description="kiosk screens opened with ?display=<this> keep their live stream when others "
                        "fill the limit; empty: none preferred")
    speak_prompts: bool = Field(False, description="speak kiosk prompts with espeak-ng (zh, then en)")
    central_url: str = Field("", description="central PostgreSQL URL for store-and-forward sync; empty: off")
    sync_interval_s: float = Field(5.0, gt=0, description="seconds between sync rounds with the centre")


class TicketConfig(Strict):
    """Weighing tickets (intake.ticket): where the QR points and which clock the paper shows."""
    base_url: str = Field("", pattern=r"^(https?://[^\s?#]+)?$",
                          description="public address of this gate's /t/<code> pages; empty: http://web_host:web_port")
    timezone: str = Field("UTC", description="IANA zone the ticket's times are printed in")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {name!r}") from exc
        return name


class GateConfig(Strict):
    site: SiteConfig
    lanes: list[LaneConfig] = Field(min_length=1)
    sampling: SamplingConfig
    identification: IdentificationConfig = IdentificationConfig()
    model: ModelConfig = ModelConfig()
    materials: dict[str, MaterialRule] = Field(min_length=1)
    retention: RetentionConfig = RetentionConfig()
    tickets: TicketConfig = TicketConfig()
    alarms: AlarmsConfig = AlarmsConfig()   # intake.alarms: rules, channels, the outbox's retries

    def ticket_url(self) -> str:
        """Where a ticket's QR code points (its /t/<code> page is under this)."""
        return self.tickets.base_url or f"http://{self.site.web_host}:{self.site.web_port}"

    @model_validator(mode="after")
    def _unique_lanes(self) -> "GateConfig":
        ids = [lane.id for lane in self.lanes]
        if len(ids) != len(set(ids)):
            raise ValueError(f"lane ids must be unique: {ids}")
        return self


class ConfigError(ValueError):
    """A config that must not start anything; the message names each bad key."""


def load_config(path: Path) -> GateConfig:
    """A site's configuration; its relative paths resolve against the file's folder
    (intake.config_paths) unless it says `paths_relative_to = "working_dir"`."""
    from intake.config_paths import relative_to

    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    cfg = parse_config(raw, source=str(path))
    return relative_to(cfg, path.resolve().parent) if cfg.site.paths_relative_to == "config_file" else cfg


def parse_config(raw: dict[str, object], source: str = "<config>") -> GateConfig:
    try:
        return GateConfig.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{source}: invalid configuration"]
        for err in exc.errors():
            key = ".".join(str(part) for part in err["loc"]) or "(top level)"
            lines.append(f"  {key}: {err['msg']}")
        raise ConfigError("\n".join(lines)) from exc
