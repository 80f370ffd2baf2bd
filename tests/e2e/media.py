"""Proof that video really flows in a browser call, for the call tests.

A call only works when frames are decoded on the far side (docs/testing.md,
shared). These helpers read it from the page the way a test should: through
`RTCPeerConnection.getStats()` and the <video> elements, polled with a deadline.

The JavaScript is passed to Playwright as source, never through the page's
eval(), so the helpers also work under Consulta's strict Content-Security-Policy.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from playwright.sync_api import Page

MIN_POLL_INTERVAL_S = 0.25  # getStats() costs CPU; docs/testing.md: poll no faster than every 250 ms

T = TypeVar("T")

# Per peer connection, the fewest frames decoded by any of its inbound video streams
# (0 while it has none yet).
_FRAMES_DECODED = """async () => {
  const connections = [].concat(%s);
  const counts = [];
  for (const pc of connections) {
    let fewest = null;
    (await pc.getStats()).forEach((report) => {
      if (report.type === "inbound-rtp" && report.kind === "video") {
        const decoded = report.framesDecoded || 0;
        fewest = fewest === null ? decoded : Math.min(fewest, decoded);
      }
    });
    counts.push(fewest === null ? 0 : fewest);
  }
  return counts;
}"""


def poll(
    check: Callable[[], T],
    done: Callable[[T], bool],
    page: Page,
    timeout_s: float,
    what: str,
    interval_s: float = MIN_POLL_INTERVAL_S,
) -> T:
    """Call `check` until `done(result)`, at most every `interval_s`; fail after `timeout_s`.

    Waits through `page.wait_for_timeout`, so Playwright's events keep flowing meanwhile.
    """
    interval_s = max(interval_s, MIN_POLL_INTERVAL_S)
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if done(result):
            return result
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"Timed out after {timeout_s:g} s waiting for {what}; last seen: {result!r}")
        page.wait_for_timeout(min(interval_s, remaining) * 1000)


def decoded_video_frames(page: Page, peer_connections: str) -> list[int]:
    """Frames decoded now, per peer connection; see `wait_for_decoded_video`."""
    counts = page.evaluate(_FRAMES_DECODED % peer_connections)
    return [int(count) for count in counts]


def wait_for_decoded_video(
    page: Page, peer_connections: str, min_frames: int = 1, timeout_s: float = 30.0
) -> list[int]:
    """Wait until every peer connection has decoded at least `min_frames` video frames.

    `peer_connections` is a JavaScript expression, evaluated in the page, giving one
    RTCPeerConnection or an array of them, e.g. "window.__call.peerConnections".
    Returns the frame counts, one per connection (for a connection with several
    inbound video streams, that of the stream with the fewest frames).
    An empty array never satisfies the wait.
    """
    return poll(
        lambda: decoded_video_frames(page, peer_connections),
        lambda counts: bool(counts) and all(count >= min_frames for count in counts),
        page,
        timeout_s,
        f"{min_frames}+ decoded video frames on every connection of `{peer_connections}`",
    )


def remote_video_sizes(page: Page, selector: str) -> list[int]:
    """The videoWidth of each <video> matching the CSS `selector` (0 while no frame has arrived)."""
    widths = page.locator(selector).evaluate_all("(videos) => videos.map((video) => video.videoWidth)")
    return [int(width) for width in widths]
