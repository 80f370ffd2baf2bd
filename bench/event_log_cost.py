"""What the event log costs on the patient's entry path: entry → caller card, with and without it.

Two real servers side by side (tests/e2e/server.py: uvicorn, Channels, temporary SQLite), the
same code, one with the event log (the default) and one started with `EVENT_LOG_ENABLED=0`
(nothing else differs). A clinician's dashboard socket is open on each; one patient at a time
enters through the real entry form, alternately on each server (interleaved sample by sample:
the machine is shared and noisy), and the figure is queue_latency's: from writing the POST to
the dashboard socket receiving that patient's `caller` event.

Issue 11's target: the log adds at most 10 % to the median.

    python -m bench.event_log_cost [--n 40]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from bench._common import Deadline, Run, consulta_server, log, row, server_env, summarize, write_result
from bench._http import HttpSession, path_of
from bench.queue_latency import CLINIC, GRACE_ENV, WARMUP, Listener, Site, _logged_in, _ws_connect, enter_patient

NAME = "event_log_cost"
TITLE = "Event log on the entry path: entry → caller card with and without the log"
TARGET_ADDED = 0.10


@contextmanager
def _side(event_log: bool) -> Iterator[tuple[Site, HttpSession, Listener]]:
    """One server, its logged-in clinician, and their dashboard socket."""
    env = {**GRACE_ENV, "EVENT_LOG_ENABLED": "1" if event_log else "0"}
    with consulta_server(env) as server:
        site = Site(server.url, server.url, server_env(server), server.demo)
        with _logged_in(site, server.demo["login_url"]) as staff:
            url = server.url.replace("http://", "ws://") + f"/ws/clinic/{CLINIC}/queue/"
            dashboard = Listener(_ws_connect(url, origin=server.url, cookie=staff.cookie_header()))
            dashboard.connection.send(json.dumps({"type": "subscribe"}))
            dashboard.snapshot_at(0)  # subscribed: the clinic's events reach it from now on
            try:
                yield site, staff, dashboard
            finally:
                dashboard.close()


def _entry_to_card(site: Site, dashboard: Listener, last_name: str) -> float:
    clinic = next(c for c in site.demo["clinics"] if c["slug"] == CLINIC)
    entry_url = site.entry_url + path_of(clinic["waiting_area_url"])
    sent, _answered = enter_patient(site.entry_url, entry_url, "Bench", last_name)
    return (dashboard.caller_at(f"Bench {last_name}") - sent) * 1000


def measure(n: int, time_limit_s: float) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"with_log": [], "without_log": []}
    with ExitStack() as stack:
        sides = {
            "with_log": stack.enter_context(_side(True)),
            "without_log": stack.enter_context(_side(False)),
        }
        deadline = Deadline(time_limit_s)
        for i in range(WARMUP + n):
            if deadline.passed():
                log(f"  time limit reached after {i} rounds")
                break
            # Alternate which side goes first, so neither always follows the other.
            order = list(sides) if i % 2 == 0 else list(reversed(sides))
            for label in order:
                site, _staff, dashboard = sides[label]
                took = _entry_to_card(site, dashboard, f"{label[:2]}{i:04d}")
                if i >= WARMUP:
                    samples[label].append(took)
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=40, help=f"measured entries per side (after {WARMUP} warm-up)")
    parser.add_argument("--time-limit", type=float, default=180.0, help="seconds in all, at most")
    args = parser.parse_args(argv)
    run = Run(NAME, TITLE, {"n": args.n, "warmup": WARMUP, "time_limit_s": args.time_limit})
    samples = measure(args.n, args.time_limit)
    ours, base = summarize(samples["with_log"]), summarize(samples["without_log"])
    added = ours["p50"] / base["p50"] - 1 if base.get("p50") else None
    target = {
        "text": f"issue 11: the event log adds ≤ {TARGET_ADDED:.0%} to the median",
        "met": added is not None and added <= TARGET_ADDED,
    }
    log(f"{NAME}: with the log p50 {ours.get('p50')} ms, without {base.get('p50')} ms")
    figures: dict[str, Any] = {
        "with_log_ms": ours,
        "without_log_ms": base,
        "added_at_median": round(added, 4) if added is not None else None,
        "samples_ms": {label: [round(v, 3) for v in values] for label, values in samples.items()},
    }
    result = run.result(
        figures=figures,
        baseline={"what": "the same server started with EVENT_LOG_ENABLED=0, interleaved entry by entry"},
        rows=[
            row(
                "entry POST → dashboard `caller` event, p50, with the event log",
                ours["p50"],
                base["p50"],
                target=target,
            ),
            row("same, p90", ours["p90"], base["p90"]),
        ],
        notes=[
            "Both servers run the same code; the only difference is EVENT_LOG_ENABLED. With the log, the entry "
            "writes one more row (consultation.entered) in the entry's own transaction.",
            "Alerts add nothing here: the worker drains the log afterwards, outside the request.",
            f"Entries alternate between the servers; the first {WARMUP} rounds are left out.",
        ],
    )
    log(f"{NAME}: wrote {write_result(result)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
