"""Chart geometry for server-rendered inline SVG (templates/charts.html draws it).

Pure functions: numbers in, coordinates out. No chart library, nothing loaded at run time,
so the charts render offline and under a strict CSP (SVG attributes, no style attributes).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

PALETTE: Final[tuple[str, ...]] = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
                                   "#17becf")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    y: float
    width: float
    highlight: bool


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_w: int
    bar_h: int
    plot_w: int
    bars: list[Bar]


def bar_chart(values: dict[str, float], highlight: str | None = None, plot_w: int = 300) -> BarChart:
    """Horizontal bars, one per label, in the given order; values are 0..1."""
    label_w, bar_h, gap = 120, 22, 8
    bars = [Bar(label, v, i * (bar_h + gap), max(0.0, min(1.0, v)) * plot_w, label == highlight)
            for i, (label, v) in enumerate(values.items())]
    height = max(1, len(bars)) * (bar_h + gap)
    return BarChart(label_w + plot_w + 60, height, label_w, bar_h, plot_w, bars)


@dataclass(frozen=True)
class BedPoint:
    n: int
    x: float
    y: float
    x_m: float
    y_m: float


@dataclass(frozen=True)
class BedPlot:
    width: float
    height: float
    pad: float
    bed_w: float
    bed_h: float
    length_m: float
    width_m: float
    points: list[BedPoint]


def bed_plot(bed_mm: tuple[int, int], points_m: Sequence[Sequence[float]], px: float = 480) -> BedPlot:
    """The truck bed seen from above (front at the left), probe points numbered in order."""
    length_m, width_m = bed_mm[0] / 1000, bed_mm[1] / 1000
    pad = 24.0
    scale = px / max(length_m, 0.1)
    bed_w, bed_h = length_m * scale, width_m * scale
    points = [BedPoint(i + 1, pad + float(p[0]) * scale, pad + float(p[1]) * scale, float(p[0]), float(p[1]))
              for i, p in enumerate(points_m)]
    return BedPlot(bed_w + 2 * pad, bed_h + 2 * pad, pad, bed_w, bed_h, length_m, width_m, points)


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    points: list[tuple[float, float, str]]   # (x, y, tooltip)

    @property
    def polyline(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in self.points)


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    top: int
    plot_w: int
    plot_h: int
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    series: list[Series]


def line_chart(months: list[str], series: dict[str, dict[str, float]], notes: dict[str, dict[str, str]] | None = None,
               y_max: float = 1.0) -> LineChart:
    """One line per series over the months (values 0..y_max, shown as percentages)."""
    left, top, plot_w, plot_h = 48, 12, 640, 220
    step = plot_w / max(1, len(months) - 1)
    xs = {m: left + i * step for i, m in enumerate(months)}

    def y(v: float) -> float:
        return top + plot_h - min(max(v, 0.0), y_max) / y_max * plot_h

    out = []
    for i, (name, values) in enumerate(sorted(series.items())):
        tips = (notes or {}).get(name, {})
        pts = [(xs[m], y(v), f"{name} {m}: {v:.0%} {tips.get(m, '')}".strip()) for m, v in sorted(values.items())
               if m in xs]
        out.append(Series(name, PALETTE[i % len(PALETTE)], pts))
    every = max(1, len(months) // 8)
    x_ticks = [(xs[m], m) for j, m in enumerate(months) if j % every == 0]
    y_ticks = [(y(y_max * k / 4), f"{y_max * k / 4:.0%}") for k in range(5)]
    return LineChart(left + plot_w + 44, top + plot_h + 40, left, top, plot_w, plot_h, x_ticks, y_ticks, out)
