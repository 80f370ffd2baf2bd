"""A six-person full-mesh call through the real UI, against a two-person call in the same run.

Six Chromium pages on one small machine measure the test machine, not the product
(/work/shared/docs/testing.md: a six-party mesh saturates two cores). Every figure of
this benchmark is labelled so.

OURS (six people): the real server and pages, as tests/e2e/test_consultation_flow.py's
test_interpreter_joins_by_link_three_way_call drives them, carried on to six. A patient
enters through the entry page; the clinician, logged in through the login form, clicks
Join on the dashboard card; the clinician makes an invitation link (it needs no knock);
four invitees open it, each in its own browser context of the one Chromium, give a name
and click "Join the call". The third, fourth and fifth people join one at a time, each
once the call before them has video flowing on every connection. The sixth's page is
loaded and its name filled in; the figure starts at its click.

BASELINE (two people), same server, same browser, same capture, rounds alternating with
OURS: the patient and the clinician only, the clinician's Join click on the dashboard.

Figures, the same for both:
- the click → every remote video of every page showing its first decoded frame
  (6 × 5 = 30 streams; 2 × 1 for the baseline). Event-driven, in the page, no polling in
  the figure: per remote <video> (data-peer-id), the first media event at which it has a
  frame (videoWidth > 0); the figure ends at the last of them. getStats() framesDecoded
  ≥ 1 on every inbound video stream is then confirmed by polling (every 500 ms at most;
  its time is kept in the JSON as an upper bound);
- after a short settling time, a 10 s window: getStats() of every page at its start and
  end (two reads, nothing in between): per inbound video stream frames per second
  (framesDecoded delta over the stats' own timestamps), frame width; per outbound video
  stream the payload bitrate (bytesSent delta); and CPU utilisation over the window from
  /proc/stat (busy / total jiffies, all cores: the whole machine, whoever uses it) and,
  beside it, that of this benchmark's own process tree (Chromium, the server, Playwright).

Capture: by default each page's camera is a 320×240, 15 fps Y4M file of a moving pattern
written by this module (`--use-file-for-fake-video-capture`, in this benchmark's launch
flags only), because six 640×480 fake cameras leave 0–11 fps on two cores. The app's
bitrate adapter (consulta/static/js/call/bitrate.js) halves the sent resolution for 5–6
people, so the six-person call sends 160×120 where the two-person call sends 320×240.
`--capture fake-640x480` keeps Chromium's own fake camera instead.

    python -m bench.six_mesh [--rounds 2] [--capture file-320x240|fake-640x480]
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, expect
from playwright.sync_api import Error as PlaywrightError

from bench._browser import INSTRUMENT, chromium
from bench._common import Deadline, Run, consulta_server, log, row, write_result
from tests.e2e.helpers import login
from tests.e2e.media import decoded_video_frames
from tests.e2e.test_consultation_flow import (
    caller_card,
    end_from_call,
    enter_waiting_area,
    in_call_panel,
    join_from_dashboard,
)

NAME = "six_mesh"
CORES = os.cpu_count() or 1
LABEL = (
    f"six Chromium pages on one {CORES}-core machine: this measures the test machine, not the product"
    if CORES != 1
    else "six Chromium pages on one single-core machine: this measures the test machine, not the product"
)
TITLE = f"Six-person full-mesh call against a two-person call ({LABEL})"
SHORT = f"6 Chromium pages on {CORES} cores: the machine, not the product"
CLINIC = "northside"
PEERS = "window.__call ? window.__call.peerConnections : []"
PEOPLE = 6
INVITEES = PEOPLE - 2
STREAMS = PEOPLE * (PEOPLE - 1)  # inbound video streams in a full mesh
POLL_MS = 500  # docs/testing.md: getStats no faster than every 250 ms; six pages at once: 500
TIMEOUT_S = 90.0  # per wait; docs/testing.md: 60 s+ (a six-mesh took 18–25 s to connect there)
PRE_CLICK_PAUSE_S = 3.0  # after the five-person call has video everywhere, before the sixth clicks
SETTLE_IDLE_BELOW = 0.5  # between rounds: wait (bounded) for the machine's CPU to fall below this
SETTLE_MAX_S = 20.0
MIN_SIX_ROUND_S = 150.0  # do not start a six-person round with less time than this left
MAX_FAILED_ROUNDS = 2
CAPTURES = ("file-320x240", "fake-640x480")

# Per remote <video> (view.js marks them with data-peer-id): the page's time of the first
# media event at which it has a frame. Only listens; changes nothing.
PEER_FRAMES = """(() => {
  if (window.top !== window) return;
  const first = {};
  Object.defineProperty(window, "__benchPeers", { value: first });
  const onMedia = (event) => {
    const video = event.target;
    if (!(video instanceof HTMLVideoElement) || !("peerId" in video.dataset)) return;
    const id = video.dataset.peerId;
    if (!(id in first) && video.videoWidth > 0) first[id] = performance.timeOrigin + event.timeStamp;
  };
  for (const type of ["loadedmetadata", "loadeddata", "resize"]) addEventListener(type, onMedia, true);
})();"""

# The current peers of the page's call, and when each one's video first had a frame here.
READ_PEERS = """() => {
  const call = window.__call;
  if (!call || !window.__benchPeers) return { ids: [], times: [] };
  const ids = call.peerConnections.map((link) => link.peerId);
  return { ids, times: ids.map((id) => window.__benchPeers[id] ?? null) };
}"""

READ_CLICK = """() => ({
  click: Number(sessionStorage.getItem("bench.click")) || null,
  steps: { ...(window.__benchSteps || {}) },
})"""

# One read of every video stream of the page's call (getStats of each connection).
READ_STATS = """async () => {
  const call = window.__call;
  if (!call) return null;
  const streams = [];
  for (const link of call.peerConnections) {
    (await link.getStats()).forEach((s) => {
      if (s.kind !== "video") return;
      if (s.type === "inbound-rtp") {
        streams.push({
          dir: "in", peer: link.peerId, id: s.id, ts: s.timestamp,
          framesDecoded: s.framesDecoded ?? 0, framesDropped: s.framesDropped ?? null,
          framesPerSecond: s.framesPerSecond ?? null, frameWidth: s.frameWidth ?? null,
          frameHeight: s.frameHeight ?? null, bytesReceived: s.bytesReceived ?? 0,
          decoder: s.decoderImplementation ?? null,
        });
      } else if (s.type === "outbound-rtp") {
        streams.push({
          dir: "out", peer: link.peerId, id: s.id, ts: s.timestamp,
          bytesSent: s.bytesSent ?? 0, framesEncoded: s.framesEncoded ?? 0,
          framesPerSecond: s.framesPerSecond ?? null, frameWidth: s.frameWidth ?? null,
          frameHeight: s.frameHeight ?? null, targetBitrate: s.targetBitrate ?? null,
          qualityLimitationReason: s.qualityLimitationReason ?? null,
        });
      }
    });
  }
  return { streams, encodings: call.videoEncodings };
}"""


# --- The capture file -------------------------------------------------------------------------


def write_y4m(path: Path, width: int = 320, height: int = 240, fps: int = 15, frames: int = 30) -> None:
    """A short looping Y4M (4:2:0) clip: a diagonal luma ramp scrolling and a bright block moving across."""
    ramp = bytes(range(256)) * (math.ceil((width + height) / 256) + 2)
    block = 40
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for index in range(frames):
            out.write(b"FRAME\n")
            shift = index * 256 // frames
            left = index * (width - block) // frames
            top = (height - block) // 2
            luma = bytearray()
            for y in range(height):
                start = (y + shift) % 256
                line = bytearray(ramp[start : start + width])
                if top <= y < top + block:
                    line[left : left + block] = b"\xeb" * block
                luma += line
            out.write(luma)
            chroma = (width // 2) * (height // 2)
            out.write(bytes([(96 + 4 * index) % 256]) * chroma)  # U
            out.write(bytes([160]) * chroma)  # V


@contextmanager
def capture_args(capture: str) -> Iterator[list[str]]:
    """Chromium flags for the chosen camera; a generated capture file is removed afterwards."""
    if capture == "fake-640x480":
        yield []
        return
    tmp_dir = Path(tempfile.mkdtemp(prefix="consulta-bench-y4m-"))
    try:
        clip = tmp_dir / "moving-320x240.y4m"
        write_y4m(clip)
        yield ["--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={clip}"]
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)


# --- CPU --------------------------------------------------------------------------------------


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat's first line."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:9]
    user, nice, system, idle, iowait, irq, softirq, steal = (int(value) for value in fields)
    total = user + nice + system + idle + iowait + irq + softirq + steal
    return total - idle - iowait, total


def tree_ticks(root: int) -> tuple[int, dict[str, int]]:
    """CPU ticks (user + system) of `root` and every descendant, and the same by process name."""
    parent: dict[int, int] = {}
    ticks: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        pid = int(entry.name)
        names[pid] = text[text.find("(") + 1 : text.rfind(")")]
        rest = text[text.rfind(")") + 2 :].split()  # from field 3 (state) on
        parent[pid] = int(rest[1])
        ticks[pid] = int(rest[11]) + int(rest[12])  # utime, stime (fields 14 and 15)
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    seen: set[int] = set()
    todo = [root]
    while todo and len(seen) < 10_000:  # bounded: a process table is finite
        pid = todo.pop()
        if pid in seen or pid not in ticks:
            continue
        seen.add(pid)
        todo.extend(children.get(pid, []))
    by_name: dict[str, int] = {}
    for pid in seen:
        by_name[names[pid]] = by_name.get(names[pid], 0) + ticks[pid]
    return sum(ticks[pid] for pid in seen), by_name


class CpuWindow:
    """CPU utilisation between start() and stop(): the whole machine, and this process's tree."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid

    def start(self) -> None:
        self.wall = time.monotonic()
        self.machine = machine_jiffies()
        self.ours, self.by_name = tree_ticks(os.getpid())
        self.server = tree_ticks(self.server_pid)[0]

    def stop(self) -> dict[str, Any]:
        seconds = time.monotonic() - self.wall
        busy, total = machine_jiffies()
        ours, by_name = tree_ticks(os.getpid())
        server = tree_ticks(self.server_pid)[0]
        capacity = seconds * os.sysconf("SC_CLK_TCK") * CORES  # ticks all cores could have run

        def share(ticks: int) -> float:
            return round(100 * ticks / capacity, 1) if capacity > 0 else math.nan

        machine_busy = busy - self.machine[0]
        machine_total = total - self.machine[1]
        return {
            "seconds": round(seconds, 2),
            "machine_busy_pct": round(100 * machine_busy / machine_total, 1) if machine_total else math.nan,
            "ours_pct": share(ours - self.ours),
            "server_pct": share(server - self.server),
            "ours_by_process_pct": {
                name: share(value - self.by_name.get(name, 0))
                for name, value in sorted(by_name.items(), key=lambda item: -item[1])
                if value - self.by_name.get(name, 0) > 0
            },
        }


def settle(limit_s: float = SETTLE_MAX_S) -> float:
    """Wait, at most `limit_s`, until one second of the machine's CPU is below SETTLE_IDLE_BELOW busy."""
    deadline = Deadline(limit_s)
    busy = 1.0
    while not deadline.passed():
        before = machine_jiffies()
        time.sleep(1.0)  # the measuring interval of a bounded wait
        after = machine_jiffies()
        busy = (after[0] - before[0]) / max(1, after[1] - before[1])
        if busy < SETTLE_IDLE_BELOW:
            break
    return round(100 * busy, 1)


# --- The call ---------------------------------------------------------------------------------


def _new_context(browser: Browser) -> BrowserContext:
    context = browser.new_context(locale="en-US")
    context.add_init_script(INSTRUMENT)  # the click's time (kept across the navigation it starts)
    context.add_init_script(PEER_FRAMES)
    return context


def _watch_errors(page: Page, errors: list[str]) -> None:
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{page.url}: uncaught {e}"))


def _bounded_poll(
    page: Page, check: Callable[[], Any], done: Callable[[Any], bool], what: str, timeout_s: float = TIMEOUT_S
) -> Any:
    """Call `check` every POLL_MS at most until `done(result)`; fail after `timeout_s`."""
    deadline = Deadline(timeout_s)
    while True:
        result = check()
        if done(result):
            return result
        if deadline.passed():
            raise RuntimeError(f"Timed out after {timeout_s:g} s waiting for {what}; last seen: {result!r}")
        page.wait_for_timeout(POLL_MS)  # lets Playwright's events flow meanwhile


def _wait_mesh_decoding(pages: Sequence[Page], what: str) -> None:
    """Every page has len(pages) − 1 connections, each decoding video (getStats framesDecoded ≥ 1)."""
    others = len(pages) - 1
    _bounded_poll(
        pages[0],
        lambda: [decoded_video_frames(page, PEERS) for page in pages],
        lambda counts: all(len(c) == others and min(c) >= 1 for c in counts),
        what,
    )


def _time_to_all_streams(click_page: Page, pages: Sequence[Page]) -> dict[str, Any]:
    """From the click (read on `click_page`) to the last remote video's first frame on any page."""
    others = len(pages) - 1

    def read() -> list[dict[str, Any]]:
        return [page.evaluate(READ_PEERS) for page in pages]

    def complete(views: list[dict[str, Any]]) -> bool:
        return all(len(v["ids"]) == others and all(t is not None for t in v["times"]) for v in views)

    views = _bounded_poll(pages[0], read, complete, f"a first frame from every remote video ({len(pages)} pages)")
    marks = click_page.evaluate(READ_CLICK)
    clicked = marks["click"]
    if clicked is None:
        raise RuntimeError("The click's time was not recorded")
    last = max(t for v in views for t in v["times"])
    # The confirmation the brief's definition asks for: getStats framesDecoded ≥ 1 on every stream.
    _wait_mesh_decoding(pages, f"framesDecoded ≥ 1 on all {len(pages) * others} inbound video streams")
    confirmed = time.time() * 1000 - clicked  # the page's clock is the wall clock (performance.timeOrigin)
    new = sorted(round(t - clicked, 1) for v in views for t in v["times"] if t >= clicked)
    return {
        "all_streams_ms": round(last - clicked, 1),
        "confirmed_by_getstats_ms": round(confirmed, 1),
        "new_streams_first_frame_ms": new,
        "clicking_page_steps_ms": {
            name: round(at - clicked, 1)
            for name, at in sorted(marks["steps"].items(), key=lambda item: item[1])
            if at >= clicked
        },
    }


def _streams(stats: list[dict[str, Any] | None]) -> dict[tuple[int, str, str], dict[str, Any]]:
    found = {}
    for index, page_stats in enumerate(stats):
        for stream in (page_stats or {}).get("streams", []):
            found[(index, stream["dir"], f"{stream['peer']}/{stream['id']}")] = stream
    return found


def measure_window(pages: Sequence[Page], cpu: CpuWindow, warmup_s: float, window_s: float) -> dict[str, Any]:
    """The steady state: two getStats reads of every page `window_s` apart, and the CPU between them."""
    pages[0].wait_for_timeout(warmup_s * 1000)
    cpu.start()
    before = _streams([page.evaluate(READ_STATS) for page in pages])
    pages[0].wait_for_timeout(window_s * 1000)
    after_stats = [page.evaluate(READ_STATS) for page in pages]
    load = cpu.stop()
    after = _streams(after_stats)

    inbound, outbound = [], []
    for key, end in after.items():
        start = before.get(key)
        if start is None:
            continue  # a stream that appeared during the window (none expected)
        seconds = (end["ts"] - start["ts"]) / 1000
        if seconds <= 0:
            continue
        if key[1] == "in":
            inbound.append(
                {
                    "page": key[0],
                    "peer": end["peer"],
                    "fps": round((end["framesDecoded"] - start["framesDecoded"]) / seconds, 2),
                    "fps_stats": end["framesPerSecond"],
                    "width": end["frameWidth"],
                    "height": end["frameHeight"],
                    "kbps": round((end["bytesReceived"] - start["bytesReceived"]) * 8 / seconds / 1000, 1),
                    "seconds": round(seconds, 2),
                }
            )
        else:
            outbound.append(
                {
                    "page": key[0],
                    "peer": end["peer"],
                    "kbps": round((end["bytesSent"] - start["bytesSent"]) * 8 / seconds / 1000, 1),
                    "fps": round((end["framesEncoded"] - start["framesEncoded"]) / seconds, 2),
                    "width": end["frameWidth"],
                    "height": end["frameHeight"],
                    "target_kbps": round(end["targetBitrate"] / 1000, 1) if end["targetBitrate"] else None,
                    "limited_by": end["qualityLimitationReason"],
                }
            )
    fps = [s["fps"] for s in inbound]
    widths = [s["width"] for s in inbound if s["width"]]
    kbps = [s["kbps"] for s in outbound]
    limits: dict[str, int] = {}
    for s in outbound:
        limits[str(s["limited_by"])] = limits.get(str(s["limited_by"]), 0) + 1
    return {
        "inbound_streams": len(inbound),
        "outbound_streams": len(outbound),
        "fps_median": round(statistics.median(fps), 2) if fps else None,
        "fps_min": round(min(fps), 2) if fps else None,
        "width_median": statistics.median(widths) if widths else None,
        "out_kbps_median": round(statistics.median(kbps), 1) if kbps else None,
        "out_fps_median": round(statistics.median(s["fps"] for s in outbound), 2) if outbound else None,
        "out_width_median": statistics.median(s["width"] for s in outbound if s["width"])
        if any(s["width"] for s in outbound)
        else None,
        "quality_limited_by": limits,
        "cpu": load,
        "encodings": [(s or {}).get("encodings") for s in after_stats],
        "inbound": inbound,
        "outbound": outbound,
    }


def _end_call(clinician: Page) -> None:
    """The clinician ends the consultation (best effort: the contexts are closed regardless)."""
    try:
        end_from_call(clinician)
    except PlaywrightError as error:
        log(f"  (ending the call: {str(error).splitlines()[0][:200]})")


def call_round(
    browser: Browser,
    demo: dict[str, Any],
    clinician: Page,
    people: int,
    label: str,
    cpu: CpuWindow,
    warmup_s: float,
    window_s: float,
    errors: list[str],
) -> dict[str, Any]:
    """One call of `people` (2 or 6) through the real UI; the figures of its last join and its window."""
    clinic = next(c for c in demo["clinics"] if c["slug"] == CLINIC)
    contexts: list[BrowserContext] = []
    started = time.monotonic()
    try:
        patient_context = _new_context(browser)
        contexts.append(patient_context)
        patient = patient_context.new_page()
        _watch_errors(patient, errors)
        enter_waiting_area(patient, clinic, "Bench", label)

        if not clinician.url.startswith(clinic["dashboard_url"]):
            clinician.goto(clinic["dashboard_url"])
        card = caller_card(clinician, f"Bench {label}")
        expect(card).to_have_attribute("data-status", "waiting")
        join_from_dashboard(clinician, f"Bench {label}")
        in_call = [clinician, patient]

        if people == 2:
            figures = _time_to_all_streams(clinician, in_call)
        else:
            _wait_mesh_decoding(in_call, "video both ways between the patient and the clinician")
            panel = in_call_panel(clinician)
            panel.get_by_role("button", name="Make an invitation link").click()
            link = panel.get_by_label("Invitation link")
            expect(link).to_have_value(re.compile(r"/join/[\w-]+/$"))
            invite_url = link.input_value()
            for number in range(1, people - 1):
                context = _new_context(browser)
                contexts.append(context)
                invitee = context.new_page()
                _watch_errors(invitee, errors)
                invitee.goto(invite_url)
                invitee.get_by_label("Your name").fill(f"Guest {number}")
                if len(in_call) + 1 < people:
                    invitee.get_by_role("button", name="Join the call").click()
                    in_call.append(invitee)
                    _wait_mesh_decoding(in_call, f"a {len(in_call)}-person mesh with video on every connection")
                    continue
                # The sixth: its page is loaded and its name given; the figure starts at its click.
                invitee.wait_for_timeout(PRE_CLICK_PAUSE_S * 1000)
                invitee.get_by_role("button", name="Join the call").click()
                in_call.append(invitee)
                figures = _time_to_all_streams(invitee, in_call)
        join_s = time.monotonic() - started
        window = measure_window(in_call, cpu, warmup_s, window_s)
        _end_call(clinician)
        return {"people": people, **figures, "window": window, "setup_s": round(join_s, 1)}
    finally:
        for context in contexts:
            with contextlib.suppress(PlaywrightError):  # the browser is closed at the end regardless
                context.close()


# --- Summary ----------------------------------------------------------------------------------


def _median(rounds: list[dict[str, Any]], get: Callable[[dict[str, Any]], float | None]) -> float | None:
    values = [v for v in (get(r) for r in rounds) if v is not None and not math.isnan(v)]
    return round(statistics.median(values), 2) if values else None


def _lowest(rounds: list[dict[str, Any]]) -> float | None:
    values = [s["fps"] for r in rounds for s in r["window"]["inbound"]]
    return round(min(values), 2) if values else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2, help="measured rounds of each call (after 1 warm-up 2-person)")
    parser.add_argument("--time-limit", type=float, default=720.0, help="seconds, at most, for all rounds")
    parser.add_argument("--window", type=float, default=10.0, help="seconds of the steady-state window")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds between all streams and the window")
    parser.add_argument("--capture", choices=CAPTURES, default=CAPTURES[0], help="the pages' camera")
    args = parser.parse_args(argv)
    parameters = {
        "label": LABEL,
        "people": PEOPLE,
        "inbound_video_streams": STREAMS,
        "rounds": args.rounds,
        "warmup_rounds": "1 (two-person)",
        "time_limit_s": args.time_limit,
        "window_s": args.window,
        "settle_before_window_s": args.warmup,
        "capture": args.capture,
        "capture_detail": "320×240 Y4M at 15 fps, 30 frames of a moving pattern, looped"
        if args.capture == "file-320x240"
        else "Chromium's fake camera (640×480, about 20 fps)",
        "browser": "one Chromium (tests/e2e/helpers.py flags + the capture flags), one context per person",
        "poll_ms": POLL_MS,
        "wait_timeout_s": TIMEOUT_S,
    }
    run = Run(NAME, TITLE, parameters)
    expect.set_options(timeout=60_000)  # docs/testing.md: generous on a saturated machine; conditions end waits
    six: list[dict[str, Any]] = []
    two: list[dict[str, Any]] = []
    errors: list[str] = []
    failed: list[str] = []
    settled: list[float] = []
    deadline = Deadline(args.time_limit)
    with (
        capture_args(args.capture) as extra_args,
        consulta_server() as server,
        chromium(extra_args) as browser,
    ):
        cpu = CpuWindow(server.process.pid)
        staff = _new_context(browser)
        try:
            clinician = staff.new_page()
            _watch_errors(clinician, errors)
            login(clinician, server.demo, "team_member", CLINIC)
            plan = [(0, 2)]  # the warm-up: one two-person call, left out
            for index in range(1, args.rounds + 1):
                plan += [(index, 2), (index, PEOPLE)] if index % 2 else [(index, PEOPLE), (index, 2)]
            for index, people in plan:
                if deadline.passed() or (people == PEOPLE and deadline.remaining() < MIN_SIX_ROUND_S):
                    log(f"six_mesh: time limit: {deadline.remaining():.0f} s left, round {index} ({people}) skipped")
                    continue
                settled.append(settle())
                label = f"P{people}R{index:02d}"
                try:
                    figures = call_round(
                        browser, server.demo, clinician, people, label, cpu, args.warmup, args.window, errors
                    )
                except (PlaywrightError, AssertionError, RuntimeError) as error:
                    failed.append(f"round {index}, {people} people: {type(error).__name__}: {str(error)[:400]}")
                    log(f"  FAILED: {failed[-1]}")
                    if len(failed) > MAX_FAILED_ROUNDS:
                        raise RuntimeError("Too many failed rounds:\n" + "\n".join(failed)) from error
                    continue
                w = figures["window"]
                log(
                    f"  round {index}, {people} people: all streams {figures['all_streams_ms']} ms "
                    f"(getStats {figures['confirmed_by_getstats_ms']} ms), fps median {w['fps_median']} "
                    f"min {w['fps_min']}, width {w['width_median']}, out {w['out_kbps_median']} kbit/s, "
                    f"CPU machine {w['cpu']['machine_busy_pct']}% ours {w['cpu']['ours_pct']}%"
                )
                if index > 0:
                    (six if people == PEOPLE else two).append(figures)
        finally:
            staff.close()

    def window(key: str) -> Callable[[dict[str, Any]], float | None]:
        return lambda r: r["window"][key]

    def cpu_of(key: str) -> Callable[[dict[str, Any]], float | None]:
        return lambda r: r["window"]["cpu"][key]

    def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "rounds": len(rounds),
            "all_streams_ms_median": _median(rounds, lambda r: r["all_streams_ms"]),
            "confirmed_by_getstats_ms_median": _median(rounds, lambda r: r["confirmed_by_getstats_ms"]),
            "fps_median": _median(rounds, window("fps_median")),
            "fps_min": _lowest(rounds),
            "width_median": _median(rounds, window("width_median")),
            "out_kbps_median": _median(rounds, window("out_kbps_median")),
            "out_fps_median": _median(rounds, window("out_fps_median")),
            "machine_busy_pct_median": _median(rounds, cpu_of("machine_busy_pct")),
            "ours_pct_median": _median(rounds, cpu_of("ours_pct")),
            "server_pct_median": _median(rounds, cpu_of("server_pct")),
        }

    ours, base = summary(six), summary(two)
    rows = [
        row(
            f"{LABEL}. Last person's Join click → all {STREAMS} remote videos decoding "
            "(baseline: 2-person call, clinician's Join → both), median of rounds",
            ours["all_streams_ms_median"],
            base["all_streams_ms_median"],
        ),
        row(
            f"6-person mesh ({SHORT}): inbound video frames/s over {args.window:g} s, median of the "
            f"{STREAMS} streams (baseline: the 2 of a 2-person call)",
            ours["fps_median"],
            base["fps_median"],
            unit="fps",
        ),
        row(
            f"6-person mesh ({SHORT}): inbound video frames/s, lowest stream of all rounds",
            ours["fps_min"],
            base["fps_min"],
            unit="fps",
        ),
        row(
            f"6-person mesh ({SHORT}): inbound frame width, median",
            ours["width_median"],
            base["width_median"],
            unit="px",
        ),
        row(
            f"6-person mesh ({SHORT}): outgoing video bitrate per stream (payload), median",
            ours["out_kbps_median"],
            base["out_kbps_median"],
            unit="kbit/s",
        ),
        row(
            f"6-person mesh ({SHORT}): CPU busy during the window, whole machine (all cores, /proc/stat)",
            ours["machine_busy_pct_median"],
            base["machine_busy_pct_median"],
            unit="%",
        ),
        row(
            f"6-person mesh ({SHORT}): CPU of this benchmark's processes during the window (of all cores)",
            ours["ours_pct_median"],
            base["ours_pct_median"],
            unit="%",
        ),
    ]
    limits: dict[str, int] = {}
    for r in six:
        for reason, count in r["window"]["quality_limited_by"].items():
            limits[reason] = limits.get(reason, 0) + count
    capture = parameters["capture_detail"]
    notes = [
        f"**{LABEL[0].upper() + LABEL[1:]}.** The figures say how far {PEOPLE} browsers saturate this box, "
        "not what six people on six devices would see.",
        f"Path: patient via the entry page, clinician's Join on the dashboard, then {INVITEES} invitees by one "
        "invitation link (no knock), each in its own context of one Chromium; people 3–5 join one at a time once "
        "video flows on every connection; the sixth's page is loaded and its name filled in before its timed click.",
        f"Capture: {capture}. bitrate.js halves the sent resolution at 5–6 people (350 kbit/s a stream) and "
        "leaves it at 2 (1,000 kbit/s): the widths in the table are what the encoders sent, not a choice of "
        "this benchmark.",
        "Time to all streams: event-driven in each page (first media event at which each remote <video> has a "
        "frame), ending at the last of them; getStats framesDecoded ≥ 1 on every stream confirmed afterwards "
        f"by polling (median {ours['confirmed_by_getstats_ms_median']} ms for 6, "
        f"{base['confirmed_by_getstats_ms_median']} ms for 2: an upper bound, polling included).",
        f"Window: {args.warmup:g} s after all streams decode, {args.window:g} s between two getStats reads of every "
        "page; fps = framesDecoded delta over the stats' timestamps. CPU: /proc/stat busy/total over the window "
        "(whoever used it: the machine is shared) and, beside it, this benchmark's own process tree "
        f"(server alone: median {ours['server_pct_median']}% in 6, {base['server_pct_median']}% in 2).",
        "Outbound video streams in the 6-person windows limited by (qualityLimitationReason): "
        + (", ".join(f"{reason} {count}" for reason, count in sorted(limits.items())) or "—")
        + ".",
        "Each round, to tell a saturated machine from a shared one (CPU: machine busy / this benchmark's "
        "processes, %): "
        + "; ".join(
            f"{r['people']} people: {r['all_streams_ms'] / 1000:.2f} s, {r['window']['fps_median']} fps, "
            f"CPU {r['window']['cpu']['machine_busy_pct']}/{r['window']['cpu']['ours_pct']}"
            for r in sorted(six + two, key=lambda r: -r["people"])
        )
        + ".",
        f"Rounds alternate 2/6; one 2-person warm-up left out. Rounds kept: {len(six)} × 6, {len(two)} × 2. "
        f"Failed rounds (left out, listed in the JSON): {len(failed)}. Console errors seen: {len(errors)}.",
    ]
    result = run.result(
        figures={
            "label": LABEL,
            "summary": ours,
            "rounds": six,
            "failed_rounds": failed,
            "console_errors": errors[:30],
            "machine_busy_pct_before_rounds": settled,
        },
        baseline={
            "what": "a 2-person call (patient + clinician) by the same path, same server, browser and capture",
            "summary": base,
            "rounds": two,
        },
        rows=rows,
        notes=notes,
    )
    path = write_result(result)
    log(f"six_mesh: wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
