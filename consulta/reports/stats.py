"""Percentiles from a frequency table: the database counts each distinct value, Python ranks.

A year of waits is hundreds of thousands of rows but only a few thousand distinct whole
seconds, so `values("wait_seconds").annotate(n=Count(...))` brings back little, and the
percentiles are still exact: the same linear interpolation between closest ranks as
numpy's default (and bench/_common.percentile).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Frequencies = Sequence[tuple[int, int]]  # (value, how many), by value


@dataclass(frozen=True)
class Spread:
    """Median, 90th percentile and largest of some durations (None when there are none)."""

    count: int
    median: float | None
    p90: float | None
    longest: int | None


def _value_at(frequencies: Frequencies, index: int) -> int:
    seen = 0
    for value, count in frequencies:
        seen += count
        if index < seen:
            return value
    raise IndexError(index)


def percentile(frequencies: Frequencies, q: float) -> float | None:
    """The q-th percentile (0-1) of the values a sorted frequency table describes."""
    total = sum(count for _value, count in frequencies)
    if total == 0:
        return None
    rank = (total - 1) * q
    low, high = math.floor(rank), math.ceil(rank)
    low_value, high_value = _value_at(frequencies, low), _value_at(frequencies, high)
    return low_value + (high_value - low_value) * (rank - low)


def spread(rows: Iterable[tuple[int, int]]) -> Spread:
    frequencies = sorted((value, count) for value, count in rows if count)
    return Spread(
        count=sum(count for _value, count in frequencies),
        median=percentile(frequencies, 0.5),
        p90=percentile(frequencies, 0.9),
        longest=frequencies[-1][0] if frequencies else None,
    )


def buckets(frequencies: Frequencies, edges: Sequence[int]) -> list[int]:
    """How many values fall in [edges[i], edges[i+1]), the last bucket open-ended."""
    counts = [0] * len(edges)
    for value, count in frequencies:
        index = max(i for i, edge in enumerate(edges) if value >= edge) if value >= edges[0] else 0
        counts[index] += count
    return counts
