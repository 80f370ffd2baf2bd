"""Run every benchmark of bench/, then regenerate BENCHMARKS.md from bench/results/*.json.

A benchmark is a module of bench/ with a top-level `main()` whose name does not start
with an underscore (helpers do); this module is not one. Each runs in its own process
(`python -m bench.<name>`), bounded in time, and writes its own result file.

    python -m bench.run_all [--only queue_latency,page_weight] [--settle 60]
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import time
from pathlib import Path

from bench import _report
from bench._common import ROOT, log

BENCH_DIR = ROOT / "bench"
TIMEOUT_S = 1500  # per benchmark; each also bounds its own loops in count and time
SETTLE_POLL_S = 5


def discover(bench_dir: Path = BENCH_DIR) -> list[str]:
    """Names of the benchmark modules, in alphabetical order."""
    names = []
    for path in sorted(bench_dir.glob("*.py")):
        if path.name.startswith("_") or path.stem == Path(__file__).stem:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        if any(isinstance(node, ast.FunctionDef) and node.name == "main" for node in tree.body):
            names.append(path.stem)
    return names


def settle(limit_s: float) -> float:
    """Wait, at most `limit_s`, for the 1-minute load average to drop below the number of cores.

    The machine is shared: starting while another job saturates it only adds noise. The
    figures are ratios to a baseline measured alongside, so this is a courtesy, not a guarantee.
    """
    cores = os.cpu_count() or 1
    started = time.monotonic()
    while os.getloadavg()[0] >= cores and time.monotonic() - started < limit_s:
        time.sleep(SETTLE_POLL_S)  # poll interval of a bounded wait
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help="comma-separated benchmark names (default: all)")
    parser.add_argument("--settle", type=float, default=30.0, help="seconds to wait, at most, for a quieter machine")
    args = parser.parse_args(argv)
    names = discover()
    if args.only:
        wanted = {name.strip() for name in args.only.split(",") if name.strip()}
        unknown = wanted - set(names)
        if unknown:
            parser.error(f"no such benchmark: {', '.join(sorted(unknown))} (have: {', '.join(names)})")
        names = [name for name in names if name in wanted]

    outcomes: list[tuple[str, str, float]] = []
    for name in names:
        waited = settle(args.settle)
        log(f"== bench.{name} (waited {waited:.0f} s for load {os.getloadavg()[0]:.1f})")
        started = time.monotonic()
        try:
            completed = subprocess.run(
                [sys.executable, "-m", f"bench.{name}"], cwd=ROOT, timeout=TIMEOUT_S, check=False
            )
            outcome = "ok" if completed.returncode == 0 else f"failed (exit {completed.returncode})"
        except subprocess.TimeoutExpired:
            outcome = f"timed out after {TIMEOUT_S} s"
        outcomes.append((name, outcome, time.monotonic() - started))

    _report.regenerate()
    log("")
    for name, outcome, seconds in outcomes:
        log(f"{name:<20} {outcome:<24} {seconds:6.1f} s")
    log(f"Summary: {_report.SUMMARY.relative_to(ROOT)}; results: bench/results/")
    return 0 if all(outcome == "ok" for _name, outcome, _s in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
