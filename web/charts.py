"""Geometry for the dashboard's server-side SVG charts.

Plain SVG drawn by the template: no chart library to ship or keep up to date, nothing to load
from a CDN (the app must work offline), and the numbers are in the HTML for tests and screen
readers alike. Coordinates are in the SVG's own units (see VIEW_W/VIEW_H).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from channels_app.services.stats import ChannelRates, DayVolume

VIEW_W, VIEW_H = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 16, 44


@dataclass(frozen=True)
class Bar:
    series: str  # incoming | outgoing | failed: the CSS class
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass
class VolumeChart:
    width: int = VIEW_W
    height: int = VIEW_H
    left: int = LEFT
    right_edge: int = VIEW_W - RIGHT
    baseline: int = VIEW_H - BOTTOM
    bars: list[Bar] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)


def nice_step(peak: int, ticks: int = 4) -> int:
    """The smallest 1/2/5 x 10^k step with `ticks` steps covering `peak` (at least 1)."""
    if peak <= ticks:
        return 1
    raw = peak / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    # 2.5 only from 25 up, so steps stay whole numbers
    for factor in (1, 2, 2.5, 5, 10) if magnitude >= 10 else (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return int(factor * magnitude)
    return int(10 * magnitude)  # pragma: no cover - the loop always returns


def _label(day: object) -> str:
    return f"{day.day} {day:%b}"  # type: ignore[attr-defined]


def volume_chart(days: list[DayVolume], *, ticks: int = 4) -> VolumeChart:
    """Per day: an incoming bar, an outgoing bar, and its failed part drawn over the outgoing one."""
    chart = VolumeChart()
    peak = max((max(d.incoming, d.outgoing) for d in days), default=0)
    step = nice_step(peak, ticks)
    top_value = step * ticks
    plot_h = chart.baseline - TOP
    slot = (chart.right_edge - chart.left) / max(len(days), 1)
    bar_w = slot * 0.38

    def y_of(value: int) -> float:
        return chart.baseline - plot_h * value / top_value

    chart.y_ticks = [Tick(round(y_of(step * i), 1), f"{step * i:,}") for i in range(ticks + 1)]
    for i, d in enumerate(days):
        x0 = chart.left + slot * i + slot * 0.1
        label = _label(d.day)
        for series, value, x in (("incoming", d.incoming, x0), ("outgoing", d.outgoing, x0 + bar_w)):
            if value:
                y = y_of(value)
                chart.bars.append(
                    Bar(series, round(x, 1), round(y, 1), round(bar_w, 1), round(chart.baseline - y, 1),
                        f"{label}: {value:,} {series}")
                )  # fmt: skip
        if d.failed:
            y = y_of(d.failed)
            chart.bars.append(
                Bar("failed", round(x0 + bar_w, 1), round(y, 1), round(bar_w, 1), round(chart.baseline - y, 1),
                    f"{label}: {d.failed:,} failed")
            )  # fmt: skip
    # Label every 7th day counting back from today, so today is always labelled.
    last = len(days) - 1
    chart.x_ticks = [
        Tick(round(chart.left + slot * (i + 0.5), 1), _label(days[i].day)) for i in range(last, -1, -7)
    ][::-1]
    return chart


@dataclass(frozen=True)
class Segment:
    series: str  # delivered | sent | failed | in-flight
    x: float  # percent of the bar
    width: float
    title: str


def rate_segments(rates: ChannelRates) -> list[Segment]:
    """A 0-100 stacked bar of where a channel's outbound messages ended up."""
    if not rates.outgoing:
        return []
    out: list[Segment] = []
    x = 0.0
    for series, value in (
        ("delivered", rates.delivered),
        ("sent", rates.sent),
        ("failed", rates.failed),
        ("in-flight", rates.in_flight),
    ):
        if value:
            width = 100.0 * value / rates.outgoing
            out.append(Segment(series, round(x, 2), round(width, 2), f"{value:,} {series.replace('-', ' ')}"))
            x += width
    return out
