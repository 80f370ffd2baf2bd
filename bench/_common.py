"""What the benchmarks share: the machine's description, statistics, result files, the real server.

Modules whose name starts with an underscore are helpers, not benchmarks: `run_all`
runs every other module of bench/ that has a `main()`.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.e2e import cluster as scaled
from tests.e2e import server as live
from tests.e2e.helpers import CHROMIUM

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"


# --- Bounded loops ----------------------------------------------------------------------------


class Deadline:
    """A time limit for a loop that is also bounded in count: `while not deadline.passed()`."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def passed(self) -> bool:
        return time.monotonic() >= self.end

    def remaining(self) -> float:
        return max(0.0, self.end - time.monotonic())


# --- Statistics -------------------------------------------------------------------------------


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), interpolated linearly between the closest ranks."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(samples_ms: Sequence[float]) -> dict[str, Any]:
    """n, p50, p90, p99, mean, min and max of samples in milliseconds (rounded to µs).

    With fewer than 100 samples p99 is interpolated between the two largest: read it as
    "about the worst", not as a true 99th percentile.
    """
    if not samples_ms:
        return {"n": 0}
    return {
        "n": len(samples_ms),
        "p50": round(percentile(samples_ms, 50), 3),
        "p90": round(percentile(samples_ms, 90), 3),
        "p99": round(percentile(samples_ms, 99), 3),
        "mean": round(sum(samples_ms) / len(samples_ms), 3),
        "min": round(min(samples_ms), 3),
        "max": round(max(samples_ms), 3),
    }


def ratio(ours: float | None, baseline: float | None) -> float | None:
    if ours is None or baseline is None or baseline <= 0 or math.isnan(ours) or math.isnan(baseline):
        return None
    return round(ours / baseline, 2)


# --- The machine ------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def chromium_version() -> str | None:
    if not os.access(CHROMIUM, os.X_OK):
        return None
    try:
        result = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() or None


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def code_version() -> dict[str, Any]:
    """The commit measured, and whether the working tree differed from it (then the figures are of that tree)."""

    def git(*args: str) -> str | None:
        try:
            result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return result.stdout.strip() if result.returncode == 0 else None

    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": git("rev-parse", "HEAD"), "uncommitted_changes": bool(status) if status is not None else None}


def machine_info() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": _memory_gib(),
        "python": platform.python_version(),
        "chromium": chromium_version(),
        "platform": platform.platform(),
    }


class Run:
    """One benchmark run: when, where, how loaded the machine was at its start and end."""

    def __init__(self, name: str, title: str, parameters: dict[str, Any]) -> None:
        self.name = name
        self.title = title
        self.parameters = parameters
        self.started = time.monotonic()
        self.date = datetime.now(UTC).replace(microsecond=0).isoformat()
        self.machine = machine_info()
        self.machine["load_average_start"] = load_average()
        self.code = code_version()

    def result(
        self,
        figures: dict[str, Any],
        baseline: dict[str, Any],
        rows: list[dict[str, Any]],
        notes: list[str],
    ) -> dict[str, Any]:
        """The result document. `rows` are the table's lines: what, unit, ours, baseline, ratio, target."""
        self.machine["load_average_end"] = load_average()
        return {
            "name": self.name,
            "title": self.title,
            "date": self.date,
            "duration_s": round(time.monotonic() - self.started, 1),
            "machine": self.machine,
            "code": self.code,
            "parameters": self.parameters,
            "figures": figures,
            "baseline": baseline,
            "ratios": {row["what"]: row["ratio"] for row in rows},
            "rows": rows,
            "notes": notes,
        }


def row(
    what: str,
    ours: float | None,
    baseline: float | None,
    unit: str = "ms",
    target: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One line of BENCHMARKS.md's table.

    `target`, when the figure has one: {"text": ..., "met": bool | None}. The issue-5
    targets are listed but not enforced yet ("met" is informative).
    """
    return {
        "what": what,
        "unit": unit,
        "ours": ours,
        "baseline": baseline,
        "ratio": ratio(ours, baseline),
        "target": target,
    }


def write_result(result: dict[str, Any]) -> Path:
    """Write bench/results/<name>.json (atomically), then regenerate BENCHMARKS.md."""
    from bench import _report  # here: _report reads results, it does not need this module's state

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{result['name']}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    tmp.replace(path)
    _report.regenerate()
    return path


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- The real server --------------------------------------------------------------------------


@contextmanager
def environment(extra: dict[str, str]) -> Iterator[None]:
    """`extra` set in os.environ inside the block only (servers started there copy os.environ)."""
    saved = {key: os.environ.get(key) for key in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def consulta_server(extra_env: dict[str, str] | None = None) -> Iterator[live.LiveServer]:
    """The real server exactly as the browser tests start it (tests/e2e/server.py), stopped afterwards."""
    with live.serving("consulta-bench-", extra_env=extra_env) as server:
        yield server


@contextmanager
def consulta_cluster(extra_env: dict[str, str] | None = None, workers: int = 2) -> Iterator[scaled.Cluster]:
    """Workers on PostgreSQL and Redis as the scale-out tests start them (tests/e2e/cluster.py), stopped after."""
    problem = scaled.services_answer()
    if problem:
        raise RuntimeError(f"The cluster needs PostgreSQL and Redis: {problem}")
    tmp_dir = Path(tempfile.mkdtemp(prefix="consulta-bench-"))
    try:
        with environment(extra_env or {}):
            cluster = scaled.start(tmp_dir, workers=workers)
        try:
            yield cluster
        finally:
            cluster.stop()
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


def server_env(server: live.LiveServer) -> dict[str, str]:
    """The environment of the live server, pointing at its own (temporary) database."""
    db = server.log_path.parent / "e2e.sqlite3"
    env = live.server_env(server.log_path.parent, server.url)
    assert env["DATABASE_URL"] == f"sqlite:///{db}"
    return env


def manage_shell(env: dict[str, str], code: str, timeout_s: float = 300) -> str:
    """Run Python in `manage.py shell -c` against the database `env` names; its standard output."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py shell failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


# --- The bare relay (the baseline's server) ---------------------------------------------------


@contextmanager
def port_printing_server(module: str, what: str) -> Iterator[tuple[int, int]]:
    """Start `python -m <module>` (it prints the port it listens on); yield (port, pid); stop it after."""
    process = subprocess.Popen(
        [sys.executable, "-m", module], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.strip().isdigit():
            process.kill()
            _out, err = process.communicate(timeout=10)
            raise RuntimeError(f"The {what} did not start: {line!r}\n{err}")
        yield int(line), process.pid
    finally:
        live.stop_process(process)


@contextmanager
def bare_relay() -> Iterator[str]:
    """Start bench/_relay.py in its own process, as the real server runs in its own; yield its ws:// URL."""
    with port_printing_server("bench._relay", "bare relay") as (port, _pid):
        yield f"ws://127.0.0.1:{port}/"


@contextmanager
def bare_asgi_server() -> Iterator[str]:
    """Start bench/_bare_asgi.py under uvicorn as tests/e2e/server.py starts Consulta; yield its http:// URL."""
    port = live.free_port()
    url = f"http://{live.HOST}:{port}"
    command = [
        str(live.BIN / "uvicorn"),
        "bench._bare_asgi:app",
        "--host",
        live.HOST,
        "--port",
        str(port),
        *live.UVICORN_OPTIONS,
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = Deadline(live.STARTUP_TIMEOUT_S)
        while True:
            if process.poll() is not None:
                output = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise RuntimeError(f"The bare ASGI server exited with code {process.returncode}:\n{output}")
            try:
                with urllib.request.urlopen(url + "/", timeout=2) as response:  # noqa: S310 - http://127.0.0.1
                    if response.status == 200:
                        break
            except OSError:
                pass  # not listening yet
            if deadline.passed():
                raise RuntimeError(f"The bare ASGI server did not answer within {deadline.seconds:g} s")
            time.sleep(0.1)  # poll interval of a bounded wait
        yield url
    finally:
        live.stop_process(process)
