"""BENCHMARKS.md's generated part: one table row per figure of every bench/results/*.json.

Everything outside the markers is hand-written and kept as it is.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from bench._common import RESULTS_DIR, ROOT

SUMMARY = ROOT / "BENCHMARKS.md"
BEGIN = "<!-- BEGIN GENERATED: bench/_report.py rewrites what follows, up to the END marker -->"
END = "<!-- END GENERATED -->"
DEFAULT_PREAMBLE = "# Benchmarks\n\nRun them with `make bench`.\n"


def _number(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == "ms":
        if value >= 1000:
            return f"{value / 1000:.2f} s"
        return f"{value:.1f} ms" if value >= 10 else f"{value:.2f} ms"
    if unit == "bytes":
        return f"{value / 1000:.1f} KB"
    if unit == "count":
        return f"{value:g}"
    return f"{value:g} {unit}"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def _target(target: dict[str, Any] | None) -> str:
    if not target:
        return ""
    met = target.get("met")
    verdict = "" if met is None else (" — met" if met else " — **not met**")
    return f"{target['text']}{verdict}"


def _machine(result: dict[str, Any]) -> str:
    m = result.get("machine", {})
    start = m.get("load_average_start") or ["?"]
    end = m.get("load_average_end") or ["?"]
    memory = f", {m['memory_gib']:g} GiB" if m.get("memory_gib") else ""
    cpu = str(m.get("cpu_model", "?")).replace("(R)", "").replace("(TM)", "")
    return f"{m.get('nproc', '?')} × {cpu}{memory}; load {start[0]}→{end[0]}; {result['date'][:10]}"


def _code(result: dict[str, Any]) -> str:
    code = result.get("code") or {}
    commit = (code.get("commit") or "?")[:10]
    return f"{commit}{' + uncommitted changes' if code.get('uncommitted_changes') else ''}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def load_results(results_dir: Path = RESULTS_DIR) -> list[dict[str, Any]]:
    results = []
    for path in sorted(results_dir.glob("*.json")):
        try:
            results.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue  # a result being written (the .tmp is not *.json) or damaged: left out
    return results


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| benchmark | what | ours | baseline | ratio | target | machine |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for result in results:
        link = f"[{result['name']}](bench/results/{result['name']}.json)"
        machine = _machine(result)
        for r in result.get("rows", []):
            lines.append(
                "| "
                + " | ".join(
                    _cell(cell)
                    for cell in (
                        link,
                        r["what"],
                        _number(r["ours"], r["unit"]),
                        _number(r["baseline"], r["unit"]),
                        _ratio(r["ratio"]),
                        _target(r.get("target")),
                        machine,
                    )
                )
                + " |"
            )
    return "\n".join(lines)


def generated(results: list[dict[str, Any]]) -> str:
    parts = [BEGIN, "", table(results), ""]
    for result in results:
        parts.append(
            f"**{result['name']}** — {result['title']} (run took {result.get('duration_s', '?')} s; "
            f"code {_code(result)})."
        )
        baseline = result.get("baseline", {}).get("what")
        if baseline:
            parts.append(f"Baseline: {baseline}.")
        parts.append("")
        parts.extend(f"- {note}" for note in result.get("notes", []))
        parts.append("")
    parts.append(END)
    return "\n".join(parts)


def regenerate(summary: Path = SUMMARY, results_dir: Path = RESULTS_DIR) -> None:
    text = summary.read_text() if summary.exists() else DEFAULT_PREAMBLE
    before, sep, rest = text.partition(BEGIN)
    after = rest.partition(END)[2] if sep else ""
    if not sep:
        before = text.rstrip("\n") + "\n\n"
    summary.write_text(before + generated(load_results(results_dir)) + after.rstrip("\n") + "\n")
