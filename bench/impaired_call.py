"""A consultation over an impaired line, against a bare two-page WebRTC call over the same line.

OURS: the real server and pages (tests/e2e/test_consultation_flow.py's steps): the patient
enters the waiting area in a Chromium that runs inside a network namespace, the clinician
(another Chromium, outside it) joins from the dashboard. Everything between the two crosses
the namespace's link (tests/e2e/netns.py, shaped by tests/e2e/shaper.py, both directions).
BASELINE: bench/impaired_bare.html in the same two browsers: one RTCPeerConnection each with
the browser's defaults, the offer and answer carried by this script (page.evaluate).

Per profile, a fresh call of each (alternating which goes first): connected unshaped, then the
profile is applied; after a warm-up, a measuring window sampled every few seconds:
  (a) 350 kbit/s, 50 ms each way (100 ms round trip), 2 % loss;
  (b) 1 Mbit/s, 5 % loss;
  (c) unshaped (the window gives the bandwidth of a plain two-person call), then a total
      outage (100 % loss both ways), then the line back: the time until frames flow again on
      both sides (framesDecoded rising in 3 samples in a row, 250 ms apart), with no user action.
Figures per side (the video and audio each receives): fps (framesDecoded per second; the
median of the sub-windows), freezeCount, totalFreezesDuration, concealedSamples /
totalSamplesReceived, bytes sent per second.

    python -m bench.impaired_call [--warmup 10] [--window 30] [--outage 20]
"""

from __future__ import annotations

import argparse
import time as time_module
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from bench._call_stats import Sample, change, sample, window_figures
from bench._common import Deadline, Run, log, write_result
from bench._impaired_report import LABELS, SAMPLE_EVERY_S, median, table_rows
from tests.e2e import server as live
from tests.e2e.helpers import CHROMIUM, CHROMIUM_ARGS, login
from tests.e2e.media import wait_for_decoded_video
from tests.e2e.netns import Namespace, Shaping, network_namespace
from tests.e2e.test_consultation_flow import PEERS, end_from_call, enter_waiting_area, join_from_dashboard, northside

NAME = "impaired_call"
TITLE = "A consultation over an impaired line (Chromium, shaped link)"
BARE_PAGE = Path(__file__).with_name("impaired_bare.html")
BARE_PEERS = "window.bare.pc"
PROFILES: dict[str, Shaping | None] = {
    "a": Shaping(rate_kbit=350, delay_ms=50, loss_percent=2),
    "b": Shaping(rate_kbit=1000, loss_percent=5),
    "c": None,
}
RECOVERY_POLL_S = 0.25  # docs/testing.md: getStats no faster than every 250 ms
RECOVERY_LIMIT_S = 60.0
RISING_SAMPLES = 3
TRACE_S = 15.0
CONNECT_TIMEOUT_S = 60


class _BareHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = BARE_PAGE.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet


@contextmanager
def bare_page_server(host: str) -> Iterator[str]:
    with live.serving_http(_BareHandler, host) as url:
        yield f"{url}/"


@contextmanager
def server_on(host: str) -> Iterator[live.LiveServer]:
    with live.serving("consulta-bench-", host=host) as server:
        yield server


@contextmanager
def ours_call(patient_browser: Browser, clinician: Page, demo: dict[str, Any], index: int) -> Iterator[list[Page]]:
    """A consultation on the real pages; ended from the clinician's side afterwards."""
    context = patient_browser.new_context(locale="en-US")
    try:
        patient = context.new_page()
        name = f"Impaired{index:02d}"
        clinician.goto(northside(demo)["dashboard_url"])
        enter_waiting_area(patient, northside(demo), "Bench", name)
        join_from_dashboard(clinician, f"Bench {name}")
        yield [patient, clinician]
        try:
            end_from_call(clinician)
        except (PlaywrightError, AssertionError) as error:
            log(f"  (ending the call failed: {str(error)[:200]})")
    finally:
        context.close()


@contextmanager
def bare_call(patient_browser: Browser, clinician_browser: Browser, url: str) -> Iterator[list[Page]]:
    contexts = [patient_browser.new_context(), clinician_browser.new_context()]
    try:
        patient, clinician = (context.new_page() for context in contexts)
        for page in (patient, clinician):
            page.goto(url)
        offer = clinician.evaluate("() => window.bareOffer()")
        answer = patient.evaluate("(offer) => window.bareAnswer(offer)", offer)
        clinician.evaluate("(answer) => window.bareAccept(answer)", answer)
        yield [patient, clinician]
    finally:
        for context in contexts:
            context.close()


def _samples(pages: list[Page], peers: str) -> list[Sample]:
    return [sample(page, peers) for page in pages]


def measure_window(pages: list[Page], peers: str, window_s: float) -> dict[str, Any]:
    """Both sides sampled every SAMPLE_EVERY_S for `window_s`: each side's window figures."""
    taken = [_samples(pages, peers)]
    for _ in range(round(window_s / SAMPLE_EVERY_S)):
        pages[0].wait_for_timeout(SAMPLE_EVERY_S * 1000)  # the sampling interval of the window
        taken.append(_samples(pages, peers))
    return {side: window_figures([step[i] for step in taken]) for i, side in enumerate(("patient", "clinician"))}


def _states(taken: list[Sample]) -> list[str]:
    """Each side's connections, as `key:state` (a replaced connection shows as a new key)."""
    return [
        ",".join(f"{key}:{state}" for key, state in zip(t.stats["connections"], t.stats["states"], strict=False))
        for t in taken
    ]


def _note_states(timeline: list[tuple[float, list[str]]], origin: float, taken: list[Sample]) -> None:
    states = _states(taken)
    if not timeline or timeline[-1][1] != states:
        timeline.append((round(taken[0].at - origin, 2), states))


def _trace_point(taken: Sample) -> dict[str, Any]:
    stats = taken.stats
    return {
        "frames": taken.frames(),
        "keyframes": stats["keyframes"],
        "pli": stats["pli"],
        "kbps_available": round(stats["available"] / 1000) if stats["available"] else None,
        "signaling": stats["signaling"],
        "states": stats["states"],
    }


Timeline = list[tuple[float, list[str]]]  # (seconds since the outage began, each side's states)


def outage(pages: list[Page], peers: str, seconds: float, origin: float, timeline: Timeline) -> None:
    """The line is down for `seconds`; the connections' states seen meanwhile (every second)."""
    deadline = Deadline(seconds)
    while not deadline.passed():
        _note_states(timeline, origin, _samples(pages, peers))
        pages[0].wait_for_timeout(min(1.0, deadline.remaining()) * 1000)  # the outage goes on meanwhile


def time_to_recover(pages: list[Page], peers: str, origin: float, timeline: Timeline) -> dict[str, Any]:
    """Seconds from the line's return until frames flow again on both sides (None: not within the limit).

    `timeline` (the connections' states since the outage began, at `origin`) goes on meanwhile."""
    deadline = Deadline(RECOVERY_LIMIT_S)
    start = _samples(pages, peers)
    trace: list[list[Any]] = []  # what each side shows in the first TRACE_S after the line's return
    previous, rising = start, [0, 0]
    since: list[float | None] = [None, None]
    recovered: list[float | None] = [None, None]
    while not deadline.passed() and None in recovered:
        pages[0].wait_for_timeout(RECOVERY_POLL_S * 1000)  # poll interval of a bounded wait
        now = _samples(pages, peers)
        _note_states(timeline, origin, now)
        if now[0].at - start[0].at < TRACE_S:
            trace.append([round(now[0].at - start[0].at, 2), *(_trace_point(taken) for taken in now)])
        for i in (0, 1):
            if recovered[i] is not None:
                continue
            if change(previous[i], now[i])["frames"] > 0:
                rising[i] += 1
                since[i] = previous[i].at if since[i] is None else since[i]
                if rising[i] >= RISING_SAMPLES:
                    recovered[i] = round(max(0.0, since[i] - start[i].at), 2)  # type: ignore[operator]
            else:
                rising[i], since[i] = 0, None
        previous = now
    both = None if None in recovered else max(r for r in recovered if r is not None)
    return {
        "patient_s": recovered[0],
        "clinician_s": recovered[1],
        "both_s": both,
        "states_timeline": [[at, states] for at, states in timeline],
        "trace": trace,
    }


def run_profile(pages: list[Page], peers: str, ns: Namespace, key: str, args: argparse.Namespace) -> dict[str, Any]:
    for page in pages:
        wait_for_decoded_video(page, peers, min_frames=5, timeout_s=CONNECT_TIMEOUT_S)
    ns.shape(PROFILES[key])
    try:
        pages[0].wait_for_timeout(args.warmup * 1000)  # the warm-up of the method: the line's effect settles
        figures: dict[str, Any] = {"window": measure_window(pages, peers, args.window)}
        if key == "c":
            figures["recoveries"] = []
            for _ in range(args.outages):
                origin, timeline = time_module.monotonic(), list[tuple[float, list[str]]]()
                ns.shape(Shaping(loss_percent=100))
                outage(pages, peers, args.outage, origin, timeline)
                ns.shape(None)
                figures["recoveries"].append(time_to_recover(pages, peers, origin, timeline))
                if figures["recoveries"][-1]["both_s"] is None:
                    break  # a call that did not come back has nothing more to show
                figures["after_recovery"] = measure_window(pages, peers, 10)
            times = [r["both_s"] for r in figures["recoveries"]]
            figures["recovery_median_s"] = None if None in times else median(times)
        return figures
    finally:
        ns.shape(None)


def run_all_profiles(
    ns: Namespace, server: live.LiveServer, bare_url: str, browsers: list[Browser], args: argparse.Namespace
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    patient_browser, clinician_browser = browsers
    results: dict[str, dict[str, Any]] = {key: {} for key in PROFILES}  # a profile not run stays empty
    failed: list[str] = []
    staff = clinician_browser.new_context(locale="en-US")
    try:
        dashboard = staff.new_page()
        login(dashboard, server.demo, "team_member", "northside")
        calls: dict[str, Callable[[int], Any]] = {
            "ours": lambda index: ours_call(patient_browser, dashboard, server.demo, index),
            "bare": lambda _index: bare_call(patient_browser, clinician_browser, bare_url),
        }
        for index, key in enumerate(key for key in PROFILES if key in args.profiles):
            order = ("ours", "bare") if index % 2 == 0 else ("bare", "ours")
            for kind in (kind for kind in order if kind in args.kinds.split(",")):
                log(f"  profile {key} ({LABELS[key]}), {kind}")
                try:
                    with calls[kind](index) as pages:
                        peers = PEERS if kind == "ours" else BARE_PEERS
                        results[key][kind] = run_profile(pages, peers, ns, key, args)
                except (PlaywrightError, AssertionError, RuntimeError) as error:
                    failed.append(f"profile {key} {kind}: {type(error).__name__}: {str(error)[:400]}")
                    log(f"    FAILED: {failed[-1]}")
                    continue
                log(f"    {_summary_line(results[key][kind])}")
    finally:
        staff.close()
    return results, failed


def _summary_line(result: dict[str, Any]) -> str:
    parts = []
    for side in ("patient", "clinician"):
        window = result["window"][side]
        parts.append(
            f"{side}: {median(window['fps_per_window'])} fps, {window['freeze_count']} freezes "
            f"{window['freeze_s']} s, concealed {window['concealed_ratio']}, "
            f"sends {median(window['kbps_sent_per_window'])} kbit/s"
        )
    for recovery in result.get("recoveries", []):
        parts.append(f"recovery {recovery['patient_s']} / {recovery['clinician_s']} s")
    return "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds between shaping and the window")
    parser.add_argument("--window", type=float, default=30.0, help="seconds of the measuring window")
    parser.add_argument("--outage", type=float, default=20.0, help="seconds of the total outage in profile c")
    parser.add_argument("--outages", type=int, default=5, help="outages in a row, in profile c (recovery varies)")
    parser.add_argument("--kinds", default="ours,bare", help="which calls to run (default: ours,bare)")
    parser.add_argument("--profiles", default="abc", help="which profiles to run (default: abc, all)")
    args = parser.parse_args(argv)
    parameters = {
        "profiles": {key: {"label": LABELS[key], "shaping": str(PROFILES[key])} for key in PROFILES},
        "warmup_s": args.warmup,
        "window_s": args.window,
        "sample_every_s": SAMPLE_EVERY_S,
        "outage_s": args.outage,
        "outages": args.outages,
        "link": "network namespace, TUN pair shaped in user space (tests/e2e/shaper.py), both directions",
        "browsers": "two Chromium (tests/e2e/helpers.py flags, fake camera 640×480): patient inside the namespace",
    }
    run = Run(NAME, TITLE, parameters)
    expect.set_options(timeout=30_000)  # a page over 350 kbit/s is slow to answer; conditions end waits
    with (
        network_namespace(shaped=True) as ns,
        server_on(ns.host_address) as server,
        bare_page_server(ns.host_address) as bare_url,
        sync_playwright() as playwright,
    ):
        secure = f"--unsafely-treat-insecure-origin-as-secure={server.url},{bare_url.rstrip('/')}"
        browser_args = [*CHROMIUM_ARGS, secure]
        browsers = [ns.launch_chromium(playwright, browser_args)]
        try:
            browsers.append(playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=browser_args))
            results, failed = run_all_profiles(ns, server, bare_url, browsers, args)
        finally:
            for browser in browsers:
                browser.close()
    rows = table_rows(results, args)
    notes = [
        "Each profile is a fresh call of each kind, connected on the unshaped line and then shaped; the "
        f"window starts {args.warmup:g} s later and lasts {args.window:g} s, sampled every {SAMPLE_EVERY_S:g} s. "
        "fps is the median of the sub-windows; freezes and concealment are totals over the window.",
        "'The patient receives' is the clinician's video arriving inside the namespace, and the reverse.",
        "The line is shaped in user space (tests/e2e/shaper.py): this machine's kernel has no tc netem. "
        "The shaping is the same for both directions; its queue drops past 300 ms of backlog.",
        "Both calls run on one 2-core machine with two Chromium processes; each call measures alone.",
        f"Failed calls (left out): {len(failed)}.",
    ]
    result = run.result(
        figures={key: results[key].get("ours") for key in PROFILES} | {"failed": failed},
        baseline={"what": "bench/impaired_bare.html: two RTCPeerConnections, browser defaults"}
        | {key: results[key].get("bare") for key in PROFILES},
        rows=rows,
        notes=notes,
    )
    path = write_result(result)
    for line in rows:
        log(f"{line['what']:<80} ours {line['ours']!s:>8}  bare {line['baseline']!s:>8}  {line['target'] or ''}")
    log(f"impaired_call: wrote {path}")
    return 0 if not failed else 1


if __name__ == "__main__":
    raise SystemExit(main())
