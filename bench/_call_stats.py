"""What a call's getStats() says over a window: received frames, freezes, audio concealment, bitrate.

A page's peer connections may be replaced during a window (Consulta replaces a stuck one,
consulta/static/js/call/link.js): each connection has a key of its own (Consulta's debug hook
gives a `serial` per connection; a bare page's are numbered in the page), and a
window's figures add each connection's change (a new one counts from zero), never a
difference of sums that a replacement would make negative.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Page

COUNTERS = ("frames", "freezes", "freeze_s", "concealed", "samples", "bytes_sent", "bytes_received")

# Per peer connection of `%s` (a JavaScript expression), its counters now.
SAMPLE = """async () => {
  const ids = (window.__benchIds ??= { map: new WeakMap(), next: 1 });
  const sample = {
    connections: {}, states: [], signaling: [], limitation: null, sentWidth: null, width: null, available: null,
    keyframes: 0, pli: 0,
  };
  for (const pc of [].concat(%s)) {
    if (!pc) continue;
    // Consulta's debug hook gives snapshots, the same `serial` for the same connection.
    if (!ids.map.has(pc)) ids.map.set(pc, ids.next++);
    const key = pc.serial !== undefined ? `${pc.peerId}:${pc.serial}` : ids.map.get(pc);
    const c = { frames: 0, freezes: 0, freeze_s: 0, concealed: 0, samples: 0, bytes_sent: 0, bytes_received: 0 };
    sample.states.push(pc.connectionState);
    sample.signaling.push(pc.signalingState);
    (await pc.getStats()).forEach((r) => {
      if (r.type === "inbound-rtp" && r.kind === "video") {
        c.frames += r.framesDecoded || 0;
        c.freezes += r.freezeCount || 0;
        c.freeze_s += r.totalFreezesDuration || 0;
        c.bytes_received += r.bytesReceived || 0;
        sample.width = r.frameWidth || sample.width;
        sample.keyframes += r.keyFramesDecoded || 0;
        sample.pli += r.pliCount || 0;
      } else if (r.type === "inbound-rtp" && r.kind === "audio") {
        c.concealed += r.concealedSamples || 0;
        c.samples += r.totalSamplesReceived || 0;
        c.bytes_received += r.bytesReceived || 0;
      } else if (r.type === "outbound-rtp") {
        c.bytes_sent += r.bytesSent || 0;
        if (r.kind === "video") {
          sample.limitation = r.qualityLimitationReason || null;
          sample.sentWidth = r.frameWidth || sample.sentWidth;
        }
      } else if (r.type === "candidate-pair" && r.nominated && r.state === "succeeded") {
        sample.available = r.availableOutgoingBitrate ?? sample.available;
      }
    });
    sample.connections[key] = c;
  }
  return sample;
}"""


@dataclass
class Sample:
    at: float  # time.monotonic() when taken
    stats: dict[str, Any]

    def frames(self) -> float:
        return sum(c["frames"] for c in self.stats["connections"].values())


def sample(page: Page, connections: str) -> Sample:
    return Sample(time.monotonic(), page.evaluate(SAMPLE % connections))


def change(before: Sample, after: Sample) -> dict[str, float]:
    """Each counter's growth from `before` to `after`, connection by connection."""
    total = dict.fromkeys(COUNTERS, 0.0)
    for key, now in after.stats["connections"].items():
        then = before.stats["connections"].get(key, dict.fromkeys(COUNTERS, 0))
        for counter in COUNTERS:
            total[counter] += max(0.0, now[counter] - then[counter])
    total["seconds"] = after.at - before.at
    return total


def window_figures(samples: list[Sample]) -> dict[str, Any]:
    """The figures of a window sampled every few seconds: per sub-window fps and bitrate, totals of the rest."""
    parts = [change(a, b) for a, b in itertools.pairwise(samples)]
    whole = change(samples[0], samples[-1])
    seconds = whole["seconds"] or 1.0
    return {
        "fps_per_window": [round(p["frames"] / p["seconds"], 1) for p in parts],
        "kbps_sent_per_window": [round(p["bytes_sent"] * 8 / p["seconds"] / 1000, 1) for p in parts],
        "kbps_received_per_window": [round(p["bytes_received"] * 8 / p["seconds"] / 1000, 1) for p in parts],
        "fps": round(whole["frames"] / seconds, 1),
        "freeze_count": int(whole["freezes"]),
        "freeze_s": round(whole["freeze_s"], 2),
        "concealed_ratio": round(whole["concealed"] / whole["samples"], 4) if whole["samples"] else None,
        "seconds": round(seconds, 1),
        "last": {key: samples[-1].stats[key] for key in ("states", "limitation", "sentWidth", "width", "available")},
    }
