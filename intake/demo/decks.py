"""The simulated plant's weighbridge decks: per lane an indicator on its own pty, a sampler PLC
and an I/O module on their own Modbus ports, a camera and a card reader, and the trucks that
drive over it (hardware.sim.plant.Plant). `intake demo --lanes N` runs N of them on one gate."""
from __future__ import annotations

import socket
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from hardware.camera.simulator import CameraSimulator
from hardware.ident.simulator import RfidSimulator
from hardware.modbus.gateio_sim import GateIOSimulator
from hardware.modbus.sampler_sim import SamplerSimulator
from hardware.scale.simulator import IndicatorSimulator
from hardware.sim.clock import SimClock
from hardware.sim.deck_views import DeckViews
from hardware.sim.plant import Plant
from hardware.sim.usb import PluggableIndicator
from intake.config import GateConfig, RfidConfig, ScaleConfig

if TYPE_CHECKING:
    from intake.demo.runner import DemoOptions


@dataclass
class Deck:
    lane: str
    indicator: IndicatorSimulator | PluggableIndicator
    scale_port: str
    sampler: SamplerSimulator
    sampler_port: int
    gateio: GateIOSimulator
    gateio_port: int
    camera: CameraSimulator
    rfid: RfidSimulator
    plant: Plant | None = field(default=None)
    views: DeckViews | None = field(default=None)   # the deck evidence cameras' pictures


def displayed(plant: Plant | None, division_kg: int = 20) -> tuple[int, bool]:
    """What the indicator shows: the deck's load rounded to the scale division e (20 kg)."""
    if plant is None:
        return 0, False
    weight, moving = plant.weight_now()
    return division_kg * round(weight / division_kg), moving


def _indicator(opts: "DemoOptions", cfg: GateConfig, clock: SimClock, lane: str,
               source: Callable[[], tuple[int, bool]]) -> IndicatorSimulator | PluggableIndicator:
    """The simulated indicator; behind a stable by-id style link when a test will unplug it."""
    def make(link: Path | None = None) -> IndicatorSimulator:
        return IndicatorSimulator(source, clock=clock, period=cfg.lanes[0].scale.frame_period_s,
                                  protocol=opts.protocol, command=opts.command, link=link)

    if opts.pluggable_scale:
        name = "serial-indicator" if lane == "1" else f"serial-indicator-{lane}"
        return PluggableIndicator(make, cfg.site.data_dir / "dev" / name)
    return make()


async def open_deck(opts: "DemoOptions", cfg: GateConfig, clock: SimClock, stack: AsyncExitStack,
                    lane: str) -> Deck:
    """Start one deck's simulators; `stack` stops them."""
    holder: list[Deck] = []
    indicator = _indicator(opts, cfg, clock, lane, lambda: displayed(holder[0].plant if holder else None))
    scale_port = indicator.start()
    stack.callback(indicator.stop)
    # The PLC scans every 0.1 simulated s, but not more often than every 2 ms of wall time.
    sampler = SamplerSimulator(clock=clock, scan_s=max(0.1, opts.speed * 0.002))
    sampler_port = await sampler.start()
    stack.push_async_callback(sampler.stop)
    gateio = GateIOSimulator(clock, port=free_port() if opts.fixed_io_port or opts.io_late_s else 0)
    gateio_port = await gateio.start()
    stack.push_async_callback(gateio.stop)
    camera = CameraSimulator(cfg.site.data_dir / ("camera" if lane == "1" else f"camera-{lane}"))
    rfid = RfidSimulator("em4100")
    stack.callback(rfid.close)
    views = [cam.view for cam in cfg.lanes[0].evidence if cam.source == "sim"]   # others are real sources
    deck_views = DeckViews(cfg.site.data_dir / ("deck-views" if lane == "1" else f"deck-views-{lane}"),
                           views) if views else None
    if deck_views is not None:
        deck_views.show(None)   # the empty deck, before the first truck
    holder.append(Deck(lane, indicator, scale_port, sampler, sampler_port, gateio, gateio_port, camera, rfid,
                       views=deck_views))
    return holder[0]


def with_decks(cfg: GateConfig, decks: list[Deck], protocol: str, command: bool) -> GateConfig:
    """One lane per deck, each like the config's first lane, wired to its deck's simulators."""
    template = cfg.lanes[0]
    lanes = []
    for deck in decks:
        # Validated again, so a protocol/command mismatch is a config error naming the field.
        scale = ScaleConfig.model_validate({**template.scale.model_dump(exclude={"unit"}), "port": deck.scale_port,
                                            "protocol": protocol, "command": command})
        lanes.append(template.model_copy(update={
            "id": deck.lane,
            "rfid": RfidConfig(port=deck.rfid.port, protocol="em4100"),
            "scale": scale,
            "sampler": template.sampler.model_copy(update={"port": deck.sampler_port}),
            "gateio": template.gateio.model_copy(update={"port": deck.gateio_port}),
            "camera": template.camera.model_copy(update={"source": deck.camera.source}),
            "evidence": [cam.model_copy(update={"source": deck.views.source(cam.view)})
                         if deck.views and cam.source == "sim" else cam for cam in template.evidence],
        }))
    return cfg.model_copy(update={"lanes": lanes})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
