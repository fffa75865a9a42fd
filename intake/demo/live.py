"""The demo's live terminal view: each lane's step and weight, and the trucks that finished."""
from __future__ import annotations

import asyncio
from collections import deque

from rich.console import Group
from rich.live import Live
from rich.table import Table

from intake.gate import Gate

VERDICT_STYLE = {"pass": "bold green", "reject": "bold red", "review": "bold yellow", None: "dim"}


class LiveView:
    def __init__(self, keep: int = 12) -> None:
        self.finished: deque[dict] = deque(maxlen=keep)
        self.count = 0
        self.refused = 0
        self.gate: Gate | None = None
        self.url: str | None = None

    def add(self, summary: dict) -> None:
        if "refused" in summary:   # a truck turned away at the entry: no visit to list
            self.refused += 1
            return
        self.finished.appendleft(summary)
        self.count += 1

    def render(self) -> Group:
        lanes = Table(title=f"Lanes — kiosk: {self.url}/kiosk/1" if self.url else "Lanes", expand=True)
        for col in ("lane", "step", "plate", "material", "weight kg", "stable", "verdict", "reasons"):
            lanes.add_column(col)
        if self.gate is not None:
            for lane_id in self.gate.hub.lanes():
                s = self.gate.hub.latest(lane_id)
                assert s is not None
                lanes.add_row(s.lane, s.fault and f"[red]{s.step.value}: {s.fault}" or s.step.value,
                              s.plate or "", s.material or "",
                              "—" if s.weight_kg is None else f"{s.weight_kg:,}",
                              {True: "yes", False: "moving", None: ""}[s.weight_stable],
                              f"[{VERDICT_STYLE[s.verdict]}]{s.verdict or ''}", ", ".join(s.reasons))
        trucks = Table(title=f"Finished trucks ({self.count}); refused at the entry: {self.refused}", expand=True)
        for col in ("plate", "supplier", "material", "gross", "tare", "net", "sampled", "label", "verdict", "reasons"):
            trucks.add_column(col)
        for t in self.finished:
            trucks.add_row(t["plate"], t["supplier"], t["material"], _kg(t["gross_kg"]), _kg(t["tare_kg"]),
                           _kg(t["net_kg"]), "yes" if t["sampled"] else "no", t["label"] or "",
                           f"[{VERDICT_STYLE.get(t['verdict'], 'dim')}]{t['verdict'] or '—'}", ", ".join(t["reasons"]))
        return Group(lanes, trucks)

    async def run(self, stop: asyncio.Event) -> None:
        with Live(self.render(), refresh_per_second=8, transient=False) as live:
            while not stop.is_set():
                live.update(self.render())
                await asyncio.sleep(0.125)
            live.update(self.render())


def _kg(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"
