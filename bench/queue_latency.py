"""Patient entry → caller card on the dashboard, against a bare WebSocket relay.

OURS: the real server (tests/e2e/server.py: uvicorn, Channels, in-memory layer,
temporary SQLite). A clinician logs in through the real login form (http.client);
their dashboard socket (/ws/clinic/northside/queue/, session cookie, Origin of the
site) subscribes and gets its snapshot. Then, one at a time, a new patient (a fresh
cookie jar) GETs the entry page and POSTs the real entry form; the figure is the time
from writing the POST to the dashboard socket receiving that patient's `caller` event.

BASELINE, interleaved with OURS sample by sample (the machine is shared and noisy): a
bare relay (bench/_relay.py, its own process like the server) and two clients; client
A sends a message shaped like the real `caller` event, timed until client B receives
it. Same clients, same library, same N.

A SECOND BASELINE, interleaved likewise: the same GET and POST to a bare ASGI app under
the same uvicorn (bench/_bare_asgi.py), which turns the POST into the same event on its
WebSocket: the HTTP path without Django, Channels, the database or the session.

With `--waiting` the queue is first filled with that many waiting patients (direct
database inserts through `manage.py shell`), then the dashboard subscribes (and its
snapshot of them is timed too, against the same bytes sent through the relay).

    python -m bench.queue_latency [--n 30] [--waiting 1,100,1000]
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from bench._common import (
    Deadline,
    Run,
    bare_asgi_server,
    bare_relay,
    consulta_cluster,
    consulta_server,
    log,
    manage_shell,
    row,
    server_env,
    summarize,
    write_result,
)
from bench._http import HttpSession, log_in, path_of
from tests.e2e.helpers import demo_user

NAME = "queue_latency"
TITLE = "Patient entry → caller card on the dashboard"
CLINIC = "northside"
WARMUP = 3  # first samples of each level and each side, left out of the figures
EVENT_TIMEOUT_S = 10.0
# Issue 5: at 1,000 waiting, p99 < 25 ms and within 3× the bare relay.
TARGET_P99_MS = 25.0
TARGET_RATIO = 3.0
TARGET_WAITING = 1000

# Fill the clinic's queue with N waiting patients, straight into the database.
FILL = """
from django.utils import timezone
from consulta.consultations.models import Consultation
from consulta.organisations.models import Clinic
clinic = Clinic.objects.get(slug={slug!r})
Consultation.objects.filter(clinic=clinic).delete()
now = timezone.now()
Consultation.objects.bulk_create(
    [Consultation(clinic=clinic, first_name="Waiting", last_name=f"W{{i:05d}}", phone="+46701234567",
                  waiting_since=now, last_seen_at=now) for i in range({count})],
    batch_size=500,
)
print(Consultation.objects.filter(clinic=clinic).count())
"""


def _ws_connect(url: str, origin: str | None = None, cookie: str | None = None) -> ClientConnection:
    return connect(
        url,
        origin=Origin(origin) if origin else None,
        legacy=True,  # a plain connection, closed by its owner (Listener.close, or `finally`)
        additional_headers={"Cookie": cookie} if cookie else None,
        compression=None,  # the same for both servers: no permessage-deflate
        proxy=None,
        max_size=2**23,
        open_timeout=10,
    )


class Listener:
    """A WebSocket client whose own thread timestamps every frame on arrival.

    `caller` events are kept by caller name, snapshots in arrival order.
    """

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.callers: dict[str, float] = {}
        self.snapshots: list[tuple[float, str]] = []
        self.last_caller_text: str | None = None
        self.error: BaseException | None = None
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="listener", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for text in self.connection:
                arrived = time.perf_counter()
                message = json.loads(text)
                with self._changed:
                    if message.get("type") == "caller":
                        self.callers[message["caller"]["name"]] = arrived
                        self.last_caller_text = str(text)
                    elif message.get("type") == "snapshot":
                        self.snapshots.append((arrived, str(text)))
                    self._changed.notify_all()
        except BaseException as error:  # reported by the waits, not lost in this thread
            with self._changed:
                self.error = error
                self._changed.notify_all()

    def _wait(self, ready: Callable[[], bool], what: str) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: ready() or self.error is not None, timeout=EVENT_TIMEOUT_S):
                raise TimeoutError(f"No {what} within {EVENT_TIMEOUT_S:g} s")
            if self.error is not None and not ready():
                raise RuntimeError(f"The socket failed while waiting for {what}: {self.error!r}")

    def caller_at(self, name: str) -> float:
        self._wait(lambda: name in self.callers, f"`caller` event for {name}")
        return self.callers[name]

    def snapshot_at(self, index: int) -> tuple[float, str]:
        self._wait(lambda: len(self.snapshots) > index, f"snapshot #{index + 1}")
        return self.snapshots[index]

    def close(self) -> None:
        self.connection.close()
        self._thread.join(timeout=10)


def fill_queue(env: dict[str, str], count: int) -> None:
    """Empty the clinic's queue, then put `count` waiting patients in it, in the database `env` names."""
    started = time.monotonic()
    shown = manage_shell(env, FILL.format(slug=CLINIC, count=count)).strip().splitlines()[-1]
    if int(shown) != count:
        raise RuntimeError(f"Filled the queue with {shown} patients, not {count}")
    log(f"  queue filled with {count} waiting in {time.monotonic() - started:.1f} s")


@dataclass
class Site:
    """Where the measured hop starts and ends: the same server, or two workers of a cluster."""

    dashboard_url: str  # the worker the clinician's dashboard socket is on
    entry_url: str  # the worker the patient's entry POST reaches
    env: dict[str, str]  # to fill the queue in the site's database
    demo: dict[str, Any]


def enter_patient(base_url: str, entry_url: str, first: str, last: str) -> tuple[float, float]:
    """GET the entry page, POST the form; return (POST written, response read) perf_counter times."""
    patient = HttpSession(base_url)
    try:
        page = patient.get(path_of(entry_url))
        answer = patient.post_form(
            path_of(entry_url),
            {
                "csrfmiddlewaretoken": page.csrf_token(),
                "first_name": first,
                "last_name": last,
                "phone": "070-123 45 67",
                "accept_terms": "on",
            },
        )
    finally:
        patient.close()
    location = answer.headers.get("Location", "")
    if answer.status != 302 or "/consultation/" not in location:
        raise RuntimeError(f"The entry form was refused (status {answer.status}, Location {location!r})")
    return answer.sent_at, answer.answered_at


def measure_level(
    site: Site,
    relay_url: str,
    asgi_url: str,
    staff: HttpSession,
    waiting: int,
    n: int,
    snapshots: int,
    time_limit_s: float,
    tag: str,
) -> dict[str, Any]:
    clinic = next(c for c in site.demo["clinics"] if c["slug"] == CLINIC)
    entry_path = path_of(clinic["waiting_area_url"])
    fill_queue(site.env, waiting)

    origin = site.dashboard_url
    ws_url = site.dashboard_url.replace("http://", "ws://") + f"/ws/clinic/{CLINIC}/queue/"
    dashboard = Listener(_ws_connect(ws_url, origin=origin, cookie=staff.cookie_header()))
    relay_b = Listener(_ws_connect(relay_url))
    relay_a = _ws_connect(relay_url)
    asgi = Listener(_ws_connect(asgi_url.replace("http://", "ws://") + "/ws/"))
    deadline = Deadline(time_limit_s)
    ours: list[float] = []
    base: list[float] = []
    base_asgi: list[float] = []
    responses: list[float] = []
    snap_ours: list[float] = []
    snap_base: list[float] = []
    snapshot_bytes = 0
    try:
        # Subscribe BEFORE measuring: the first snapshot is the dashboard opening.
        for index in range(snapshots):
            if deadline.passed():
                break
            sent = time.perf_counter()
            dashboard.connection.send(json.dumps({"type": "subscribe"}))
            arrived, text = dashboard.snapshot_at(index)
            snap_ours.append((arrived - sent) * 1000)
            shown = len(json.loads(text)["callers"])
            if shown != waiting:
                raise RuntimeError(f"The snapshot shows {shown} callers, not {waiting}")
            snapshot_bytes = len(text.encode())
            sent = time.perf_counter()
            relay_a.send(text)
            arrived, _text = relay_b.snapshot_at(index)
            snap_base.append((arrived - sent) * 1000)

        template: dict[str, Any] | None = None
        for i in range(WARMUP + n):
            if deadline.passed():
                log(f"  time limit reached after {i} entries")
                break
            name_last = f"{tag}W{waiting}N{i:03d}"
            sent, answered = enter_patient(site.entry_url, site.entry_url + entry_path, "Bench", name_last)
            arrived = dashboard.caller_at(f"Bench {name_last}")
            if template is None:
                assert dashboard.last_caller_text is not None
                template = json.loads(dashboard.last_caller_text)
            # The same message, by the bare relay: the real event's shape and size.
            assert template is not None
            message = json.loads(json.dumps(template))
            message["caller"]["name"] = f"Relay {name_last}"
            text = json.dumps(message)
            base_sent = time.perf_counter()
            relay_a.send(text)
            base_arrived = relay_b.caller_at(f"Relay {name_last}")
            # The same POST to the same ASGI server without the framework.
            asgi_sent, _answered = enter_patient(asgi_url, asgi_url + entry_path, "Asgi", name_last)
            asgi_arrived = asgi.caller_at(f"Asgi {name_last}")
            if i >= WARMUP:
                ours.append((arrived - sent) * 1000)
                responses.append((answered - sent) * 1000)
                base.append((base_arrived - base_sent) * 1000)
                base_asgi.append((asgi_arrived - asgi_sent) * 1000)
    finally:
        dashboard.close()
        relay_b.close()
        relay_a.close()
        asgi.close()
    return {
        "waiting": waiting,
        "entry_to_card_ms": summarize(ours),
        "entry_post_response_ms": summarize(responses),
        "snapshot_ms": summarize(snap_ours),
        "snapshot_bytes": snapshot_bytes,
        "baseline_hop_ms": summarize(base),
        "baseline_snapshot_hop_ms": summarize(snap_base),
        "bare_asgi_entry_to_event_ms": summarize(base_asgi),
        "samples_ms": {
            "entry_to_card": [round(v, 3) for v in ours],
            "baseline_hop": [round(v, 3) for v in base],
            "bare_asgi_entry_to_event": [round(v, 3) for v in base_asgi],
        },
    }


def _rows(levels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for level in levels:
        w = level["waiting"]
        ours, base = level["entry_to_card_ms"], level["baseline_hop_ms"]
        if not ours.get("n"):
            continue
        rows.append(row(f"entry POST → dashboard `caller` event, p50, {w} waiting", ours["p50"], base["p50"]))
        target = None
        if w == TARGET_WAITING:
            ratio_p99 = ours["p99"] / base["p99"] if base["p99"] else None
            target = {
                "text": f"issue 5: p99 < {TARGET_P99_MS:g} ms and ≤ {TARGET_RATIO:g}× relay",
                "met": ours["p99"] < TARGET_P99_MS and ratio_p99 is not None and ratio_p99 <= TARGET_RATIO,
            }
        rows.append(
            row(f"entry POST → dashboard `caller` event, p99, {w} waiting", ours["p99"], base["p99"], target=target)
        )
        asgi = level["bare_asgi_entry_to_event_ms"]
        rows.append(row(f"same, p50, {w} waiting — against the bare ASGI app (2nd baseline)", ours["p50"], asgi["p50"]))
        snap, snap_base = level["snapshot_ms"], level["baseline_snapshot_hop_ms"]
        if snap.get("n"):
            kib = level["snapshot_bytes"] / 1024
            rows.append(row(f"subscribe → snapshot of {w} callers ({kib:.0f} KiB), p50", snap["p50"], snap_base["p50"]))
    return rows


GRACE_ENV = {"PATIENT_RECONNECT_GRACE_SECONDS": "3600"}  # entered over HTTP, no socket: the sweep must spare them


@contextmanager
def site_of(cluster: bool) -> Iterator[tuple[Site, HttpSession]]:
    """The server(s) measured, and a clinician logged in where the dashboard is.

    One worker: tests/e2e/server.py. Cluster: tests/e2e/cluster.py's two workers on
    PostgreSQL and Redis, the dashboard on the first, the entries POSTed to the second,
    so the event crosses the Redis layer.
    """
    if cluster:
        with consulta_cluster(GRACE_ENV) as running:
            first, second = running.workers
            site = Site(first.url, second.url, running.env, running.demo)
            login_url = first.url + path_of(running.demo["login_url"])
            with _logged_in(site, login_url) as staff:
                yield site, staff
    else:
        with consulta_server(GRACE_ENV) as server:
            site = Site(server.url, server.url, server_env(server), server.demo)
            with _logged_in(site, server.demo["login_url"]) as staff:
                yield site, staff


@contextmanager
def _logged_in(site: Site, login_url: str) -> Iterator[HttpSession]:
    user = demo_user(site.demo, "team_member", CLINIC)
    staff = log_in(site.dashboard_url, login_url, user["email"], user["password"])
    try:
        yield staff
    finally:
        staff.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=30, help=f"measured entries per level (after {WARMUP} warm-up)")
    parser.add_argument("--waiting", default="1,100,1000", help="comma-separated queue sizes to measure at")
    parser.add_argument("--snapshots", type=int, default=10, help="subscribe → snapshot repetitions per level")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per level, at most")
    parser.add_argument(
        "--cluster",
        action="store_true",
        help="two workers on PostgreSQL and Redis (dashboard on one, entries to the other); "
        "writes queue_latency_cluster.json",
    )
    args = parser.parse_args(argv)
    levels_wanted = [int(v) for v in args.waiting.split(",") if v.strip()]
    parameters = {
        "n": args.n,
        "warmup": WARMUP,
        "waiting": levels_wanted,
        "snapshots": args.snapshots,
        "time_limit_s_per_level": args.time_limit,
        "server": (
            "tests/e2e/cluster.py: 2 uvicorn workers, PostgreSQL, Redis layer; the dashboard on worker 1, "
            "the entry POSTs to worker 2"
            if args.cluster
            else "uvicorn (1 process), Channels in-memory layer, SQLite (temporary), as tests/e2e/server.py"
        ),
        "client": "websockets sync client, no compression, same for both",
    }
    name, title = (NAME + "_cluster", TITLE + ", two workers with Redis") if args.cluster else (NAME, TITLE)
    run = Run(name, title, parameters)
    levels: list[dict[str, Any]] = []
    with site_of(args.cluster) as (site, staff), bare_relay() as relay_url, bare_asgi_server() as asgi_url:
        for level_no, waiting in enumerate(levels_wanted):
            log(f"{name}: {waiting} waiting")
            level = measure_level(
                site, relay_url, asgi_url, staff, waiting, args.n, args.snapshots, args.time_limit, tag=f"L{level_no}"
            )
            levels.append(level)
            o, b = level["entry_to_card_ms"], level["baseline_hop_ms"]
            log(f"  ours p50 {o.get('p50')} ms p99 {o.get('p99')} ms; relay p50 {b.get('p50')} ms")
    hop = (
        "HTTP parsing on worker 2, Django's view and form, the PostgreSQL write and commit, the session save, "
        "the group send through Redis, and worker 1's consumer"
        if args.cluster
        else "HTTP parsing, Django's view and form, the SQLite write and commit, the session save, and the "
        "channel layer's group send"
    )
    notes = [
        f"Ours includes everything between the patient's POST and the dashboard: {hop}; "
        "the baseline is one WebSocket hop through a process that does nothing else.",
        f"Samples interleaved (one of ours, one of the baseline); the first {WARMUP} of each level left out.",
        f"p99 of {args.n} samples is interpolated between the two largest: read it as about the worst.",
        "Second baseline (rows marked so): the same GET + POST, by the same client, to a bare ASGI app under "
        "the same uvicorn (bench/_bare_asgi.py), which sends the event to its WebSocket before answering: "
        "the HTTP and WebSocket path without Django, Channels, the database or the session.",
        "Waiting patients are inserted straight into the database before each level (no sockets of their own).",
    ]
    result = run.result(
        figures={"levels": levels},
        baseline={
            "what": "bare websockets relay (bench/_relay.py): client A → relay → client B, same message",
            "second": "bare ASGI app under uvicorn (bench/_bare_asgi.py): the same POST → its WebSocket",
        },
        rows=_rows(levels),
        notes=notes,
    )
    path = write_result(result)
    log(f"{name}: wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
