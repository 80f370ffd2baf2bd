"""Capacity: waiting patients one worker holds (open sockets with heartbeats), then two with Redis.

OURS, stage 1: the real server (tests/e2e/server.py: one uvicorn worker, in-memory
layer, temporary SQLite). At each step the clinic's queue grows to N waiting patients
(direct inserts through `manage.py shell`) and each gets its own patient socket
(/ws/patient/<token>/, Origin of the site), opened by bench/_swarm.py (its own process,
the `websockets` asyncio client, bounded concurrency). Each socket sends a heartbeat
every 25 s as the browser does (the server writes presence to the database on connect,
and each worker writes the heartbeats in one batch every PRESENCE_FLUSH_SECONDS). Per
step: sockets open, the worker's RSS (VmRSS) → bytes per connection, CPU of the worker
over a quiet window (heartbeats only), heartbeat round trips, and the dashboard's
latency: a logged-in dashboard socket subscribes, then patients enter through the real
entry form; entry POST → `caller` event, p50/p99.
Stepping stops at the time limit or once connections fail (and records where).

OURS, stage 2: tests/e2e/cluster.py (PostgreSQL, Redis, two uvicorn workers): the
patient sockets split between the two workers' ports, the dashboard on the first
worker, the entries POSTed to the second (the event crosses Redis); at the largest N
stage 1 held.

BASELINE, same run: a bare `websockets` server (bench/_echo.py, its own process) holding
the same number of sockets from the same swarm with the same heartbeats (answered):
its RSS per connection, and one message's hop from a client to a listening client
under that load (the same `caller`-shaped message).

    python -m bench.capacity [--steps 1000,5000,10000] [--time-limit 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench._common import (
    ROOT,
    Deadline,
    Run,
    consulta_cluster,
    consulta_server,
    log,
    manage_shell,
    port_printing_server,
    row,
    server_env,
    summarize,
    write_result,
)
from bench._http import HttpSession, log_in, path_of
from bench.queue_latency import WARMUP, Listener, _ws_connect, enter_patient
from tests.e2e import cluster as scaled
from tests.e2e import server as live
from tests.e2e.helpers import demo_user

NAME = "capacity"
TITLE = "Capacity: waiting patients with open sockets and heartbeats, per worker"
CLINIC = "northside"
HEARTBEAT_S = 25.0
SETTLE_S = 3.0
TARGET_WAITING = 10_000
TARGET_P99_MS = 100.0
# Handshakes in flight. At 100, the two Redis-backed workers refused some with channels_redis's
# "MaxConnectionsError: Too many connections" (its connection pool) in a trial run.
CONCURRENCY = 20
FAILED_SHARE = 0.01  # more than this share of a step's sockets failing or closing ends the stepping
GRACE_ENV = {"PATIENT_RECONNECT_GRACE_SECONDS": "3600"}  # the dashboard's sweep must not end the idle ones

ADD = """
import json
from django.utils import timezone
from consulta.consultations.models import Consultation
from consulta.organisations.models import Clinic
clinic = Clinic.objects.get(slug={slug!r})
now = timezone.now()
made = Consultation.objects.bulk_create(
    [Consultation(clinic=clinic, first_name="Waiting", last_name=f"C{{i:05d}}", phone="+46701234567",
                  waiting_since=now, last_seen_at=now) for i in range({start}, {start} + {count})],
    batch_size=500,
)
print(json.dumps([c.token for c in made]))
"""


# --- The machine's limits and counters -------------------------------------------------------


def raise_open_files() -> dict[str, int]:
    """Raise this process's soft limit of open files to the hard one; servers started later inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    new_soft, new_hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return {"soft_before": soft, "hard": new_hard, "soft": new_soft}


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def machine_busy() -> tuple[int, int]:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


# --- Processes -------------------------------------------------------------------------------


class SwarmProcess:
    """bench/_swarm.py: the idle patients' sockets, driven by JSON lines."""

    def __init__(self, concurrency: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench._swarm", "--heartbeat", str(HEARTBEAT_S), "--concurrency", str(concurrency)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def command(self, message: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()
        ready, _w, _x = select.select([self.process.stdout], [], [], timeout_s)
        if not ready:
            raise TimeoutError(f"The swarm did not answer {message['cmd']!r} within {timeout_s:g} s")
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"The swarm exited (code {self.process.poll()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.command({"cmd": "close"}, timeout_s=30)
                self.process.wait(timeout=10)
            except (OSError, TimeoutError, RuntimeError, ValueError, subprocess.TimeoutExpired):
                pass
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@contextmanager
def swarm() -> Iterator[SwarmProcess]:
    process = SwarmProcess(CONCURRENCY)
    try:
        yield process
    finally:
        process.stop()


@contextmanager
def echo_server() -> Iterator[tuple[str, int]]:
    """bench/_echo.py in its own process; yield its ws:// URL and pid."""
    with port_printing_server("bench._echo", "bare echo server") as (port, pid):
        yield f"ws://127.0.0.1:{port}", pid


def add_waiting(env: dict[str, str], start: int, count: int) -> list[str]:
    """`count` more waiting patients (no socket yet); their tokens."""
    shown = manage_shell(env, ADD.format(slug=CLINIC, start=start, count=count))
    tokens: list[str] = json.loads(shown.strip().splitlines()[-1])
    return tokens


# --- One stage: step N up, measure at each ---------------------------------------------------


class Target:
    """What a stage measures: where sockets go, which processes to weigh, how to time an update."""

    def __init__(
        self,
        label: str,
        pids: list[int],
        socket_urls: Callable[[int, int], tuple[list[str], list[str]]],
        latency: Callable[[int], dict[str, Any]],
    ) -> None:
        self.label = label
        self.pids = pids
        self.socket_urls = socket_urls  # (start, count) → (urls, origins)
        self.latency = latency  # N → {"summary": ..., "samples": ..., ...}


def run_stage(target: Target, steps: list[int], time_limit_s: float, window_s: float) -> dict[str, Any]:
    deadline = Deadline(time_limit_s)
    rss_start = sum(rss_bytes(pid) for pid in target.pids)
    done: list[dict[str, Any]] = []
    stopped: str | None = None
    open_rate: float | None = None
    held = 0
    with swarm() as patients:
        for n in steps:
            count = n - held
            if count <= 0:
                continue
            needed = (count / open_rate if open_rate else 0) + window_s + SETTLE_S + 15
            if deadline.remaining() < needed:
                stopped = f"time limit: {deadline.remaining():.0f} s left, the step to {n} needs about {needed:.0f} s"
                log(f"  {target.label}: {stopped}")
                break
            log(f"  {target.label}: opening {count} more sockets (to {n})")
            urls, origins = target.socket_urls(held, count)
            opened = patients.command({"cmd": "open", "urls": urls, "origins": origins}, timeout_s=600)
            if opened["opened"]:
                open_rate = opened["opened"] / max(opened["seconds"], 0.1)
            held += opened["opened"]
            time.sleep(SETTLE_S)  # a measuring pause: the last connects' presence writes
            patients.command({"cmd": "stats"}, timeout_s=30)  # heartbeat round trips from here on
            cpu_before = {pid: cpu_seconds(pid) for pid in target.pids}
            busy_before, total_before = machine_busy()
            time.sleep(window_s)  # a quiet window: only heartbeats
            cpu = {pid: round(100 * (cpu_seconds(pid) - cpu_before[pid]) / window_s, 1) for pid in target.pids}
            busy_after, total_after = machine_busy()
            stats = patients.command({"cmd": "stats"}, timeout_s=30)
            rss = sum(rss_bytes(pid) for pid in target.pids)
            alive = stats["alive"]
            latency = target.latency(n)
            step = {
                "n": n,
                "attempted": count,
                "opened": opened["opened"],
                "failed": opened["failed"],
                "errors": opened["errors"],
                "open_seconds": opened["seconds"],
                "alive": alive,
                "close_codes": stats["close_codes"],
                "rss_bytes": rss,
                "rss_per_process": {str(pid): rss_bytes(pid) for pid in target.pids},
                "bytes_per_connection": round((rss - rss_start) / alive) if alive else None,
                "cpu_percent_per_process": {str(pid): value for pid, value in cpu.items()},
                "cpu_percent": round(sum(cpu.values()), 1),
                "machine_busy_percent": round(
                    100 * (busy_after - busy_before) / max(1, total_after - total_before) * (os.cpu_count() or 1), 1
                ),
                "heartbeats_per_s": round(alive / HEARTBEAT_S, 1),
                "heartbeat_rtt_ms": stats["heartbeat_rtt_ms"],
                **latency,
            }
            if done and alive > done[-1]["alive"]:
                step["bytes_per_connection_marginal"] = round(
                    (rss - done[-1]["rss_bytes"]) / (alive - done[-1]["alive"])
                )
            done.append(step)
            summary = latency.get("update_ms", {})
            log(
                f"  {target.label} N={n}: alive {alive}, failed {opened['failed']}, open {opened['seconds']} s, "
                f"RSS {rss / 2**20:.0f} MiB, {step['bytes_per_connection']} B/conn, CPU {step['cpu_percent']} %, "
                f"update p50 {summary.get('p50')} p99 {summary.get('p99')} ms"
            )
            if opened["failed"] > FAILED_SHARE * count or alive < (1 - FAILED_SHARE) * held:
                stopped = f"connections failing at N={n}: {opened['failed']} failed, {alive} of {held} alive"
                log(f"  {target.label}: {stopped}")
                break
        else:
            stopped = None
    return {
        "label": target.label,
        "rss_start_bytes": rss_start,
        "steps": done,
        "stopped": stopped,
        "largest_held": max((s["alive"] for s in done), default=0),
    }


# --- How an update's latency is measured -----------------------------------------------------


def dashboard_latency(
    dashboard_url: str, entry_base: str, entry_url: str, staff: HttpSession, n_entries: int, tag: str
) -> Callable[[int], dict[str, Any]]:
    """A dashboard socket subscribes; patients enter by the form; POST → `caller` event."""

    def measure(n: int) -> dict[str, Any]:
        ws_url = dashboard_url.replace("http://", "ws://") + f"/ws/clinic/{CLINIC}/queue/"
        samples: list[float] = []
        snapshot_ms: float | None = None
        problem: str | None = None
        dashboard: Listener | None = None
        try:
            dashboard = Listener(_ws_connect(ws_url, origin=dashboard_url, cookie=staff.cookie_header()))
            sent = time.perf_counter()
            dashboard.connection.send(json.dumps({"type": "subscribe"}))
            arrived, _text = dashboard.snapshot_at(0)
            snapshot_ms = (arrived - sent) * 1000
            for i in range(WARMUP + n_entries):
                last = f"{tag}N{n}E{i:03d}"
                sent, _answered = enter_patient(entry_base, entry_url, "Bench", last)
                arrived = dashboard.caller_at(f"Bench {last}")
                if i >= WARMUP:
                    samples.append((arrived - sent) * 1000)
        except (TimeoutError, RuntimeError, OSError) as error:
            problem = repr(error)
            log(f"    dashboard measurement failed at N={n}: {problem}")
        finally:
            if dashboard is not None:
                dashboard.close()
        return {
            "update_ms": summarize(samples),
            "update_samples_ms": [round(v, 3) for v in samples],
            "snapshot_ms": round(snapshot_ms, 1) if snapshot_ms is not None else None,
            "update_problem": problem,
        }

    return measure


def hop_latency(echo_url: str, template: dict[str, Any], n_hops: int) -> Callable[[int], dict[str, Any]]:
    """Client A → the bare server → listening client B, the same `caller`-shaped message."""

    def measure(n: int) -> dict[str, Any]:
        samples: list[float] = []
        listener = Listener(_ws_connect(echo_url + "/listen/"))
        sender = _ws_connect(echo_url + "/send/")
        try:
            for i in range(WARMUP + n_hops):
                message = json.loads(json.dumps(template))
                message["caller"]["name"] = f"Echo N{n}H{i:03d}"
                sent = time.perf_counter()
                sender.send(json.dumps(message))
                arrived = listener.caller_at(message["caller"]["name"])
                if i >= WARMUP:
                    samples.append((arrived - sent) * 1000)
        finally:
            listener.close()
            sender.close()
        return {"update_ms": summarize(samples), "update_samples_ms": [round(v, 3) for v in samples]}

    return measure


def caller_template(server_url: str, entry_url: str, staff: HttpSession) -> dict[str, Any]:
    """The real `caller` event, to send the same bytes through the baseline."""
    dashboard = Listener(
        _ws_connect(
            server_url.replace("http://", "ws://") + f"/ws/clinic/{CLINIC}/queue/",
            origin=server_url,
            cookie=staff.cookie_header(),
        )
    )
    try:
        dashboard.connection.send(json.dumps({"type": "subscribe"}))
        dashboard.snapshot_at(0)
        enter_patient(server_url, entry_url, "Bench", "Template")
        dashboard.caller_at("Bench Template")
        assert dashboard.last_caller_text is not None
        template: dict[str, Any] = json.loads(dashboard.last_caller_text)
        return template
    finally:
        dashboard.close()


# --- The stages -----------------------------------------------------------------------------


def stage_one(steps: list[int], time_limit_s: float, window_s: float, n_entries: int) -> tuple[dict[str, Any], Any]:
    try:
        return _stage_one(steps, time_limit_s, window_s, n_entries)
    except Exception as error:
        return {"label": "one worker", "steps": [], "failed": repr(error)}, None


def _stage_one(steps: list[int], time_limit_s: float, window_s: float, n_entries: int) -> tuple[dict[str, Any], Any]:
    with consulta_server(GRACE_ENV) as server:
        env = server_env(server)
        clinic = next(c for c in server.demo["clinics"] if c["slug"] == CLINIC)
        user = demo_user(server.demo, "team_member", CLINIC)
        staff = log_in(server.url, server.demo["login_url"], user["email"], user["password"])
        try:
            template = caller_template(server.url, clinic["waiting_area_url"], staff)
            ws_base = server.url.replace("http://", "ws://")

            def sockets(start: int, count: int) -> tuple[list[str], list[str]]:
                tokens = add_waiting(env, start, count)
                return [f"{ws_base}/ws/patient/{t}/" for t in tokens], [server.url] * len(tokens)

            target = Target(
                "one worker",
                [server.process.pid],
                sockets,
                dashboard_latency(server.url, server.url, clinic["waiting_area_url"], staff, n_entries, "S1"),
            )
            result = run_stage(target, steps, time_limit_s, window_s)
        finally:
            staff.close()
        result["server_log_tail"] = server.log_text(last_lines=15)
        return result, template


def stage_two(n: int, time_limit_s: float, window_s: float, n_entries: int) -> dict[str, Any]:
    problem = scaled.services_answer()
    if problem:
        return {"label": "two workers", "skipped": problem, "steps": []}
    with consulta_cluster(GRACE_ENV) as cluster:
        first, second = cluster.workers
        clinic = next(c for c in cluster.demo["clinics"] if c["slug"] == CLINIC)
        entry_path = path_of(clinic["waiting_area_url"])
        user = demo_user(cluster.demo, "team_member", CLINIC)
        login_path = path_of(cluster.demo["login_url"])
        staff = log_in(first.url, first.url + login_path, user["email"], user["password"])
        try:

            def sockets(start: int, count: int) -> tuple[list[str], list[str]]:
                tokens = add_waiting(cluster.env, start, count)
                workers = [cluster.workers[i % 2] for i in range(len(tokens))]
                urls = [f"ws://{live.HOST}:{w.port}/ws/patient/{t}/" for w, t in zip(workers, tokens, strict=True)]
                return urls, [w.url for w in workers]

            target = Target(
                "two workers + Redis",
                [first.process.pid, second.process.pid],
                sockets,
                dashboard_latency(first.url, second.url, second.url + entry_path, staff, n_entries, "S2"),
            )
            result = run_stage(target, [n], time_limit_s, window_s)
        finally:
            staff.close()
        result["worker_log_tail"] = cluster.logs(last_lines=10)
        return result


def baseline_stage(
    steps: list[int], template: dict[str, Any], time_limit_s: float, window_s: float, n: int
) -> dict[str, Any]:
    with echo_server() as (echo_url, pid):

        def sockets(start: int, count: int) -> tuple[list[str], list[str]]:
            urls = [f"{echo_url}/patient/{i}/" for i in range(start, start + count)]
            return urls, ["http://127.0.0.1"] * count

        target = Target("bare websockets server", [pid], sockets, hop_latency(echo_url, template, n))
        return run_stage(target, steps, time_limit_s, window_s)


# --- Rows ------------------------------------------------------------------------------------


TARGET_TEXT = f"{TARGET_WAITING:,} waiting with dashboard p99 < {TARGET_P99_MS:g} ms"


def _step_rows(step: dict[str, Any], base: dict[str, Any], labels: dict[str, str]) -> list[dict[str, Any]]:
    """One step's rows beside the bare server's at the same N; `labels` name them ({n} filled in)."""
    n = step["n"]
    upd, bupd = step["update_ms"], base.get("update_ms", {})
    target = None
    if n == TARGET_WAITING:
        met = step["alive"] >= TARGET_WAITING and (upd.get("p99") or 1e9) < TARGET_P99_MS
        target = {"text": TARGET_TEXT, "met": met}
    return [
        row(labels["held"].format(n=n), step["alive"], base.get("alive"), unit="count"),
        row(labels["rss"].format(n=n), step["bytes_per_connection"], base.get("bytes_per_connection"), unit="bytes"),
        row(labels["cpu"].format(n=n), step["cpu_percent"], base.get("cpu_percent"), unit="%"),
        row(labels["p50"].format(n=n), upd.get("p50"), bupd.get("p50")),
        row(labels["p99"].format(n=n), upd.get("p99"), bupd.get("p99"), target=target),
    ]


ONE_WORKER = {
    "held": "one worker: sockets held of {n} opened",
    "rss": "one worker: RSS per connection at {n}",
    "cpu": "one worker: CPU with {n} heartbeating",
    "p50": "one worker: entry → dashboard p50 at {n} sockets",
    "p99": "one worker: entry → dashboard p99 at {n} sockets",
}
TWO_WORKERS = {
    "held": "two workers + Redis: sockets held of {n}",
    "rss": "two workers + Redis: RSS per connection at {n}",
    "cpu": "two workers + Redis: CPU (both) at {n}",
    "p50": "two workers + Redis: entry → dashboard p50 at {n}",
    "p99": "two workers + Redis: entry → dashboard p99 at {n}",
}


def _rows(one: dict[str, Any], base: dict[str, Any], two: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    base_by_n = {s["n"]: s for s in base.get("steps", [])}
    for step in one.get("steps", []):
        rows += _step_rows(step, base_by_n.get(step["n"], {}), ONE_WORKER)
    if not any(s["n"] == TARGET_WAITING for s in one.get("steps", [])):
        rows.append(
            row(
                f"one worker: largest N held (target {TARGET_WAITING:,})",
                one.get("largest_held"),
                base.get("largest_held"),
                unit="count",
                target={"text": TARGET_TEXT, "met": False},
            )
        )
    for step in two.get("steps", []):
        rows += _step_rows(step, base_by_n.get(step["n"], {}), TWO_WORKERS)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", default="1000,5000,10000", help="comma-separated numbers of waiting sockets")
    parser.add_argument("--n", type=int, default=25, help=f"measured entries (or hops) per step, after {WARMUP}")
    parser.add_argument("--window", type=float, default=10.0, help="seconds of the quiet CPU window per step")
    parser.add_argument("--time-limit", type=float, default=1000.0, help="seconds for the whole run, at most")
    parser.add_argument("--skip-cluster", action="store_true", help="leave out stage 2 (PostgreSQL + Redis)")
    args = parser.parse_args(argv)
    steps = sorted({int(v) for v in args.steps.split(",") if v.strip()})
    limits = raise_open_files()
    log(f"capacity: open files soft {limits['soft']} (was {limits['soft_before']}), hard {limits['hard']}")
    parameters = {
        "steps": steps,
        "n": args.n,
        "warmup": WARMUP,
        "window_s": args.window,
        "heartbeat_s": HEARTBEAT_S,
        "time_limit_s": args.time_limit,
        "open_files_limit": limits,
        "stage_1": "uvicorn (1 process), Channels in-memory layer, SQLite (temporary), as tests/e2e/server.py",
        "stage_2": "tests/e2e/cluster.py: 2 uvicorn workers, PostgreSQL, Redis layer; sockets split over both ports",
        "client": f"bench/_swarm.py (its own process, websockets asyncio, {CONCURRENCY} handshakes at once, no pings)",
    }
    run = Run(NAME, TITLE, parameters)
    deadline = Deadline(args.time_limit)
    log("capacity: stage 1, one worker")
    one, template = stage_one(steps, deadline.remaining() * 0.55, args.window, args.n)
    if template is None:
        log(f"capacity: stage 1 failed: {one.get('failed')}")
        return 1
    base_steps = [s["n"] for s in one["steps"]] or steps[:1]
    log("capacity: baseline, bare websockets server")
    base = baseline_stage(base_steps, template, deadline.remaining() * 0.3, args.window, args.n)
    two: dict[str, Any] = {"label": "two workers + Redis", "steps": [], "skipped": "--skip-cluster"}
    if not args.skip_cluster:
        largest = max((s["n"] for s in one["steps"] if s["alive"] >= (1 - FAILED_SHARE) * s["n"]), default=5000)
        log(f"capacity: stage 2, two workers + Redis at {largest}")
        try:
            two = stage_two(largest, deadline.remaining(), args.window, args.n)
        except Exception as error:  # recorded: stage 1 and the baseline are still worth writing
            log(f"capacity: stage 2 failed: {error!r}")
            two = {"label": "two workers + Redis", "steps": [], "skipped": f"failed: {error!r}"[:300]}
    notes = [
        "Each waiting patient is one idle patient socket from bench/_swarm.py (its own process) sending a "
        f"heartbeat every {HEARTBEAT_S:g} s (first at a random point of the first interval): N/{HEARTBEAT_S:g} "
        "heartbeats a second, each a presence write to the database in ours, answered by both servers.",
        "RSS per connection = (server RSS at the step − its RSS before any socket) ÷ sockets alive; "
        "CPU = the server process(es) over a quiet window with only heartbeats, 100 % = one core.",
        "Dashboard latency: a fresh dashboard socket per step subscribes, then patients enter through the real "
        f"form (GET + POST); POST written → `caller` event, {args.n} samples after {WARMUP} warm-up. "
        "Baseline: the same event's bytes, client → bare server → listening client, under the same socket load.",
        "Stage 2 POSTs the entries to the second worker and listens on the first: the event crosses Redis.",
        "The benchmark client, the server(s), PostgreSQL and Redis share the same 2 cores.",
        f"Open-files limit: soft {limits['soft']} (hard {limits['hard']}), inherited by the servers.",
    ]
    for stage in (one, base, two):
        if stage.get("stopped"):
            notes.append(f"{stage['label']}: stopped — {stage['stopped']}.")
        if stage.get("skipped"):
            notes.append(f"{stage['label']}: skipped — {stage['skipped']}.")
    result = run.result(
        figures={"one_worker": one, "two_workers": two},
        baseline={
            "what": "bare websockets server (bench/_echo.py) holding the same sockets with the same heartbeats",
            "stage": base,
        },
        rows=_rows(one, base, two),
        notes=notes,
    )
    path = write_result(result)
    log(f"capacity: wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
