"""The report's charts as data: positions and labels the templates draw as inline SVG.

Pure functions of the figures, no drawing and no HTML here: the templates escape every label.
Each bar carries its number (as text on the chart and in the table beneath), and the outcome
mix tells its parts by pattern as well as by shade, so nothing depends on colour alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _

from consulta.reports.queries import DayVolume, WaitingArea
from consulta.reports.stats import buckets

WIDTH = 720
HEIGHT = 240
MARGIN = 8
AXIS_SPACE = 28  # below the bars, for their labels
CHAR_WIDTH = 7.5  # of an axis label's character at the chart's font size, roughly
WAIT_EDGES_MINUTES = (0, 2, 5, 10, 20, 30)
DAILY_UP_TO = 62  # longer ranges are drawn by week
PATTERNS = ("solid", "hatch", "dots", "cross", "blank")


@dataclass(frozen=True)
class Point:
    short: str  # under the bar
    full: str  # in the table and the bar's tooltip
    value: int


@dataclass(frozen=True)
class Bar:
    point: Point
    x: float
    y: float
    width: float
    height: float
    centre: float
    labelled: bool  # its axis label is drawn (every k-th, so that they do not overlap)

    @property
    def value_y(self) -> float:
        return round(self.y - 4, 1)


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    label_heading: str
    value_heading: str
    width: int
    height: int
    baseline: float
    bars: tuple[Bar, ...]
    upright_values: bool  # bars too narrow for a number across: it stands upright above them

    @property
    def label_y(self) -> float:
        return self.baseline + 18

    @property
    def total(self) -> int:
        return sum(bar.point.value for bar in self.bars)


@dataclass(frozen=True)
class Segment:
    label: str
    value: int
    percent: float
    pattern: str
    x: float
    width: float

    @property
    def centre(self) -> float:
        return self.x + self.width / 2

    @property
    def labelled(self) -> bool:
        return self.width >= 48


@dataclass(frozen=True)
class StackedBar:
    id: str
    title: str
    width: int
    height: int
    segments: tuple[Segment, ...]


def bar_chart(chart_id: str, title: str, points: Sequence[Point], label_heading: str, value_heading: str) -> BarChart:
    upright = len(points) > 0 and (WIDTH - 2 * MARGIN) / len(points) < 34
    top = 44 if upright else 22  # room for the numbers above the tallest bar
    plot = HEIGHT - top - AXIS_SPACE
    baseline = top + plot
    slot = (WIDTH - 2 * MARGIN) / max(1, len(points))
    longest = max((len(point.short) for point in points), default=1)
    every = max(1, math.ceil(len(points) * (longest * CHAR_WIDTH + 6) / (WIDTH - 2 * MARGIN)))
    peak = max((point.value for point in points), default=0) or 1
    bars = []
    for index, point in enumerate(points):
        height = plot * point.value / peak
        x = MARGIN + index * slot + slot * 0.15
        bars.append(
            Bar(point, round(x, 1), round(baseline - height, 1), round(slot * 0.7, 1), round(height, 1),
                round(x + slot * 0.35, 1), index % every == 0)
        )  # fmt: skip
    return BarChart(chart_id, title, label_heading, value_heading, WIDTH, HEIGHT, baseline, tuple(bars), upright)


def stacked_bar(chart_id: str, title: str, parts: Sequence[tuple[str, int]]) -> StackedBar:
    total = sum(value for _label, value in parts)
    x, segments = float(MARGIN), []
    for index, (label, value) in enumerate(parts):
        width = (WIDTH - 2 * MARGIN) * value / total if total else 0.0
        percent = round(100 * value / total, 1) if total else 0.0
        segments.append(Segment(label, value, percent, PATTERNS[index % len(PATTERNS)], round(x, 1), round(width, 1)))
        x += width
    return StackedBar(chart_id, title, WIDTH, 56, tuple(segments))


def wait_points(waiting: WaitingArea) -> list[Point]:
    seconds = [minutes * 60 for minutes in WAIT_EDGES_MINUTES]
    counts = buckets(waiting.wait_frequencies, seconds)
    points = []
    for index, count in enumerate(counts):
        low = WAIT_EDGES_MINUTES[index]
        if index + 1 < len(WAIT_EDGES_MINUTES):
            text = _("%(low)s–%(high)s min") % {"low": low, "high": WAIT_EDGES_MINUTES[index + 1]}
        else:
            text = _("%(low)s+ min") % {"low": low}
        points.append(Point(text, text, count))
    return points


def hour_points(waiting: WaitingArea) -> list[Point]:
    return [Point(f"{hour:02}", f"{hour:02}:00–{(hour + 1) % 24:02}:00", n) for hour, n in enumerate(waiting.by_hour)]


def weekday_points(waiting: WaitingArea, names: Sequence[str]) -> list[Point]:
    return [Point(name[:3], name, n) for name, n in zip(names, waiting.by_weekday, strict=True)]


def volume_points(days: Sequence[DayVolume]) -> tuple[bool, list[Point]]:
    """(by week?, the points): by day up to DAILY_UP_TO days, else by week from Monday."""
    if len(days) <= DAILY_UP_TO:
        return False, [Point(f"{d.day:%d}", d.day.isoformat(), d.entered) for d in days]
    weeks: dict[date, int] = {}
    for volume in days:
        monday = volume.day - timedelta(days=volume.day.weekday())
        weeks[monday] = weeks.get(monday, 0) + volume.entered
    return True, [
        Point(f"{monday:%m-%d}", _("week of %(day)s") % {"day": monday.isoformat()}, n) for monday, n in weeks.items()
    ]


def outcome_parts(waiting: WaitingArea) -> list[tuple[str, int]]:
    """Every consultation entered, in exactly one part."""
    return [
        (_("Answered and ended by the clinic"), waiting.answered - waiting.answered_then_gone),
        (_("Answered, then left or lost"), waiting.answered_then_gone),
        (_("Left before being answered"), waiting.abandoned),
        (_("Connection lost before being answered"), waiting.expired),
        (_("Ended by the clinic before being answered"), waiting.ended_unanswered),
    ]
