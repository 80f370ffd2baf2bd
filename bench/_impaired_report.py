"""bench/impaired_call.py's table: its rows for BENCHMARKS.md, from each profile's figures."""

from __future__ import annotations

import argparse
import statistics
from typing import Any

from bench._common import row

LABELS = {"a": "350 kbit/s, 100 ms RTT, 2 % loss", "b": "1 Mbit/s, 5 % loss", "c": "unshaped, then an outage"}
SAMPLE_EVERY_S = 5.0
TARGET_FPS = 10
TARGET_RECOVERY_S = 5.0


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _side(result: dict[str, Any] | None, side: str, what: str) -> Any:
    if not result:
        return None
    window = result["window"][side]
    if what == "fps":
        return median(window["fps_per_window"])
    if what == "kbps_sent":
        return median(window["kbps_sent_per_window"])
    return window[what]


def _both(result: dict[str, Any] | None, what: str) -> float | None:
    values = [_side(result, side, what) for side in ("patient", "clinician")]
    if not result or None in values:
        return None
    return round(sum(values), 3) if what in ("freeze_count", "freeze_s") else round(statistics.mean(values) * 100, 2)


def table_rows(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    for key, label in LABELS.items():
        ours, bare = results[key].get("ours"), results[key].get("bare")
        for side in ("patient", "clinician"):
            fps = _side(ours, side, "fps")
            target = {"text": f"≥ {TARGET_FPS} fps", "met": None if fps is None else fps >= TARGET_FPS}
            rows.append(
                row(
                    f"{label}: video fps the {side} receives, median of {SAMPLE_EVERY_S:g}-s windows",
                    fps,
                    _side(bare, side, "fps"),
                    unit="fps",
                    target=target if key == "a" else None,
                )
            )
        freeze_ours, freeze_bare = _both(ours, "freeze_s"), _both(bare, "freeze_s")
        met = None if freeze_ours is None or freeze_bare is None else freeze_ours <= freeze_bare
        no_more = {"text": "no more freezing than the bare call", "met": met}
        rows.append(
            row(
                f"{label}: video frozen, s (both sides)", freeze_ours, freeze_bare, "s", no_more if key == "a" else None
            )
        )
        rows.append(
            row(f"{label}: freezes (both sides)", _both(ours, "freeze_count"), _both(bare, "freeze_count"), "count")
        )
        rows.append(
            row(
                f"{label}: audio concealed, % (mean of sides)",
                _both(ours, "concealed_ratio"),
                _both(bare, "concealed_ratio"),
                "%",
            )
        )
    ours, bare = results["c"].get("ours"), results["c"].get("bare")
    for side in ("patient", "clinician"):
        rows.append(
            row(
                f"unshaped 2-person call: kbit/s the {side} sends",
                _side(ours, side, "kbps_sent"),
                _side(bare, side, "kbps_sent"),
                "kbit/s",
            )
        )
    recovered = (ours or {}).get("recovery_median_s")
    met = None if ours is None else recovered is not None and recovered <= TARGET_RECOVERY_S
    rows.append(
        row(
            f"after a {args.outage:g}-s outage: line back → frames flowing on both sides, s (median)",
            recovered,
            (bare or {}).get("recovery_median_s"),
            "s",
            {"text": f"≤ {TARGET_RECOVERY_S:g} s, no user action", "met": met},
        )
    )
    return rows
