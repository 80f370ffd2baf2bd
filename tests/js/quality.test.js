import assert from "node:assert/strict";
import { test } from "node:test";

import { grade, median, QualitySummary, readStats } from "../../consulta/static/js/call/quality.js";

// An RTCStatsReport as Chromium gives it: a map of stats by id.
function report({
  at = 10_000,
  rtt = 0.048,
  bytesReceived = 0,
  bytesSent = 0,
  lost = 0,
  received = 0,
  local = "host",
  remote = "host",
  relayProtocol = undefined,
  freezeCount = 0,
  totalFreezesDuration = 0,
} = {}) {
  const stats = [
    { id: "T1", type: "transport", timestamp: at, selectedCandidatePairId: "CP1" },
    {
      id: "CP1",
      type: "candidate-pair",
      timestamp: at,
      localCandidateId: "L1",
      remoteCandidateId: "R1",
      currentRoundTripTime: rtt,
      bytesReceived,
      bytesSent,
      nominated: true,
      state: "succeeded",
    },
    { id: "CP2", type: "candidate-pair", timestamp: at, localCandidateId: "L2", remoteCandidateId: "R1", currentRoundTripTime: 9 },
    { id: "L1", type: "local-candidate", candidateType: local, relayProtocol },
    { id: "L2", type: "local-candidate", candidateType: "relay", relayProtocol: "udp" },
    { id: "R1", type: "remote-candidate", candidateType: remote },
    { id: "IA", type: "inbound-rtp", kind: "audio", timestamp: at, packetsLost: Math.floor(lost / 2), packetsReceived: Math.floor(received / 2) },
    {
      id: "IV",
      type: "inbound-rtp",
      kind: "video",
      timestamp: at,
      packetsLost: lost - Math.floor(lost / 2),
      packetsReceived: received - Math.floor(received / 2),
      freezeCount,
      totalFreezesDuration,
    },
  ];
  return new Map(stats.map((stat) => [stat.id, stat]));
}

test("a first reading: round trip and direct, no rates yet", () => {
  const reading = readStats(report({ bytesReceived: 50_000, received: 100 }), undefined);
  assert.equal(reading.rttMs, 48);
  assert.equal(reading.relayed, false);
  assert.equal(reading.relayProtocol, null);
  assert.equal(reading.kbpsIn, null);
  assert.equal(reading.kbpsOut, null);
  assert.equal(reading.lossPercent, 0);
  assert.equal(reading.reset, false);
});

test("rates and loss come from the deltas since the last reading", () => {
  const first = readStats(report({ at: 10_000, bytesReceived: 100_000, bytesSent: 40_000, lost: 0, received: 1_000 }));
  // 2 s later: 250,000 bytes in (1,000 kbit/s), 125,000 out (500 kbit/s); 10 lost of 200 expected.
  const second = readStats(
    report({ at: 12_000, bytesReceived: 350_000, bytesSent: 165_000, lost: 10, received: 1_190 }),
    first.counters,
  );
  assert.equal(second.kbpsIn, 1_000);
  assert.equal(second.kbpsOut, 500);
  assert.equal(second.lossPercent, 5);
  assert.equal(grade(second), "fair");
});

test("the selected pair says relayed, and the relay's protocol, from either side", () => {
  const mine = readStats(report({ local: "relay", relayProtocol: "tcp" }));
  assert.equal(mine.relayed, true);
  assert.equal(mine.relayProtocol, "tcp");
  const theirs = readStats(report({ remote: "relay" }));
  assert.equal(theirs.relayed, true);
  assert.equal(theirs.relayProtocol, null); // their relay's protocol is not ours to know
  // Another (not selected) pair through a relay does not make the connection relayed.
  assert.equal(readStats(report()).relayed, false);
});

test("without a selected pair nothing is claimed", () => {
  const reading = readStats(new Map([["IA", { id: "IA", type: "inbound-rtp", packetsLost: 0, packetsReceived: 5 }]]));
  assert.equal(reading.rttMs, null);
  assert.equal(reading.relayed, null);
  assert.equal(reading.kbpsIn, null);
});

test("counters that went back are a new connection: no negative rates", () => {
  const first = readStats(report({ at: 10_000, bytesReceived: 900_000, lost: 5, received: 5_000, freezeCount: 3 }));
  const second = readStats(report({ at: 12_000, bytesReceived: 1_000, lost: 0, received: 20, freezeCount: 0 }), first.counters);
  assert.equal(second.reset, true);
  assert.equal(second.kbpsIn, null);
  assert.equal(second.lossPercent, 0);
});

test("median of odd and even counts, and of none", () => {
  assert.equal(median([]), null);
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 10]), 3.5);
});

const reading = (fields) => ({
  rttMs: null,
  lossPercent: null,
  kbpsIn: null,
  kbpsOut: null,
  relayed: false,
  reset: false,
  freezes: 0,
  freezeSeconds: 0,
  ...fields,
});

test("the summary: medians over readings, bitrates summed over connections, freezes carried over", () => {
  const summary = new QualitySummary();
  assert.deepEqual(summary.summary(), {
    type: "quality",
    rtt_ms: null,
    loss_pct: null,
    kbps_in: null,
    kbps_out: null,
    freezes: 0,
    freeze_seconds: 0,
    reconnects: 0,
    relayed: false,
  });
  summary.add([
    { peerId: "a", reading: reading({ rttMs: 40, lossPercent: 0, kbpsIn: 500, kbpsOut: 400, freezes: 1, freezeSeconds: 0.5 }) },
    { peerId: "b", reading: reading({ rttMs: 100, lossPercent: 2, kbpsIn: 300, kbpsOut: 400, relayed: true }) },
  ]);
  summary.add([{ peerId: "a", reading: reading({ rttMs: 60, lossPercent: 1, kbpsIn: 900, kbpsOut: 700, freezes: 2, freezeSeconds: 1.25 }) }]);
  // a's connection replaced: its counters start again; the two freezes before are kept.
  summary.add([{ peerId: "a", reading: reading({ rttMs: 50, reset: true, freezes: 1, freezeSeconds: 0.5 }) }]);
  assert.deepEqual(summary.summary(), {
    type: "quality",
    rtt_ms: 55, // median of 40, 100, 60, 50
    loss_pct: 1, // median of 0, 2, 1
    kbps_in: 850, // median of 800 and 900
    kbps_out: 750, // median of 800 and 700
    freezes: 3,
    freeze_seconds: 1.8, // 1.25 + 0.5, to a tenth
    reconnects: 0,
    relayed: true,
  });
});

test("reconnects: back to connected after disconnected or failed, or a replaced connection", () => {
  const summary = new QualitySummary();
  for (const state of ["new", "connecting", "connected"]) summary.connectionState("a", state);
  assert.equal(summary.summary().reconnects, 0); // the first connection is not a reconnect
  for (const state of ["disconnected", "connected"]) summary.connectionState("a", state);
  for (const state of ["failed", "new", "connecting", "connected"]) summary.connectionState("a", state);
  summary.connectionState("b", "connected");
  summary.connectionState("b", "closed");
  assert.equal(summary.summary().reconnects, 2);
});
