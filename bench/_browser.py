"""Chromium for the benchmarks, launched as the browser tests launch it (tests/e2e/helpers.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from playwright.sync_api import Browser, sync_playwright

from tests.e2e.helpers import CHROMIUM, CHROMIUM_ARGS, CHROMIUM_MISSING

# Measures in the page, with the page's own clock, without changing what the page does:
# - the time of every trusted click, kept in sessionStorage so that it survives the
#   navigation a click may start (the dashboard's Join opens the call page);
# - the first decoded remote video frame: the first media event at which a remote
#   <video> (one with a data-peer-id, as consulta/static/js/call/view.js marks them)
#   has a frame, i.e. videoWidth > 0 (loadedmetadata, loadeddata or resize, whichever
#   comes first); and, as a cross-check, the presentation time that
#   requestVideoFrameCallback reports for that element's first frame;
# - for the breakdown only, the first time of some steps: the camera granted
#   (getUserMedia resolved), a WebSocket open, and the first signalling messages of each
#   kind sent and received. The wrappers hand every call, value and event on unchanged.
# Times are performance.timeOrigin + performance.now(): sub-millisecond, and comparable
# between pages (each page's origin is on the same wall clock).
INSTRUMENT = """(() => {
  if (window.top !== window) return;
  const epoch = (t) => performance.timeOrigin + t;
  const marks = { remoteFrame: null, remoteFrameEvent: null, presented: null };
  Object.defineProperty(window, "__bench", { value: marks });
  addEventListener("click", (event) => {
    if (!event.isTrusted) return;
    try { sessionStorage.setItem("bench.click", String(epoch(event.timeStamp))); } catch (_) {}
  }, true);
  const watched = new WeakSet();
  const remote = (node) => node instanceof HTMLVideoElement && "peerId" in node.dataset;
  const onMedia = (event) => {
    const video = event.target;
    if (!remote(video)) return;
    if (marks.remoteFrame === null && video.videoWidth > 0) {
      marks.remoteFrame = epoch(event.timeStamp);
      marks.remoteFrameEvent = event.type;
    }
    if (!watched.has(video) && "requestVideoFrameCallback" in video) {
      watched.add(video);
      video.requestVideoFrameCallback((now, metadata) => {
        if (marks.presented === null) marks.presented = epoch(metadata.presentationTime);
      });
    }
  };
  for (const type of ["loadstart", "loadedmetadata", "loadeddata", "resize"]) addEventListener(type, onMedia, true);

  const steps = {};
  Object.defineProperty(window, "__benchSteps", { value: steps });
  const step = (name) => { if (!(name in steps)) steps[name] = epoch(performance.now()); };
  // A page that stays open across rounds (the dashboard holds each call) starts each afresh.
  marks.reset = () => {
    marks.remoteFrame = marks.remoteFrameEvent = marks.presented = null;
    for (const name of Object.keys(steps)) delete steps[name];
  };
  const kind = (text) => {
    try {
      const message = JSON.parse(text);
      if (message.description) return message.description.type;  // offer / answer
      if (message.candidate) return "candidate";
      return message.type || "message";
    } catch (_) { return "other"; }
  };
  if (window.MediaDevices && MediaDevices.prototype.getUserMedia) {
    const getUserMedia = MediaDevices.prototype.getUserMedia;
    MediaDevices.prototype.getUserMedia = function (...args) {
      return getUserMedia.apply(this, args).then((stream) => { step("camera"); return stream; });
    };
  }
  const NativeSocket = window.WebSocket;
  window.WebSocket = class extends NativeSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("open", () => step("socket open"));
      this.addEventListener("message", (event) => step(`got ${kind(event.data)}`));
    }
    send(data) {
      step(`sent ${kind(data)}`);
      return super.send(data);
    }
  };
})();"""

FIRST_FRAME_SEEN = "() => window.__bench && window.__bench.remoteFrame !== null"
READ_MARKS = """() => ({
  click: Number(sessionStorage.getItem("bench.click")) || null,
  remoteFrame: window.__bench.remoteFrame,
  remoteFrameEvent: window.__bench.remoteFrameEvent,
  presented: window.__bench.presented,
  clockOffset: performance.timeOrigin + performance.now() - Date.now(),
  steps: { ...window.__benchSteps },
  navigation: (() => {
    const entry = performance.getEntriesByType("navigation")[0];
    const at = (t) => (entry && t ? performance.timeOrigin + t : null);
    return {
      start: performance.timeOrigin,
      responseEnd: at(entry?.responseEnd),
      domContentLoaded: at(entry?.domContentLoadedEventEnd),
    };
  })(),
})"""


@contextmanager
def chromium(extra_args: Sequence[str] = ()) -> Iterator[Browser]:
    """Debian's Chromium with the tests' flags, plus `extra_args` (a benchmark's own, e.g. a capture file)."""
    if not os.access(CHROMIUM, os.X_OK):
        raise RuntimeError(CHROMIUM_MISSING)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, *extra_args]
        )
        try:
            yield browser
        finally:
            browser.close()
