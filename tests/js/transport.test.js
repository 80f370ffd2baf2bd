// The transport seam (static/js/call/transport.js): Mesh has every member of it, and the
// tools that read stats or act on what is sent (ActiveSpeaker, QualityMonitor,
// BitrateControl) work through it alone, with no RTCPeerConnection in sight.
import assert from "node:assert/strict";
import { test } from "node:test";

import { BitrateControl } from "../../consulta/static/js/call/bitrate.js";
import { ActiveSpeaker } from "../../consulta/static/js/call/layout.js";
import { limitVideo, PeerLink } from "../../consulta/static/js/call/link.js";
import { Mesh } from "../../consulta/static/js/call/mesh.js";
import { QualityMonitor, readStats } from "../../consulta/static/js/call/quality.js";
import { TRANSPORT_MEMBERS } from "../../consulta/static/js/call/transport.js";

const settle = () => new Promise((resolve) => setImmediate(resolve));

test("Mesh implements every member of the transport interface", () => {
  const members = new Set(Object.getOwnPropertyNames(Mesh.prototype));
  const missing = TRANSPORT_MEMBERS.filter((name) => !members.has(name));
  assert.deepEqual(missing, []);
});

test("ActiveSpeaker reads audio levels from the transport", (t) => {
  t.mock.timers.enable({ apis: ["setInterval"] });
  const levels = { a: 0, b: 0 };
  const transport = { peerIds: ["a", "b"], audioLevel: (peerId) => levels[peerId] };
  const changes = [];
  const speaker = new ActiveSpeaker({ transport, onChange: (peerId) => changes.push(peerId) });
  speaker.start();
  levels.b = 0.4;
  t.mock.timers.tick(500);
  assert.deepEqual(changes, ["b"]);
  speaker.stop();
});

test("a link's audio level is the loudest incoming audio source, never a video receiver's", () => {
  const pc = {
    getReceivers: () => [
      { track: { kind: "video" }, getSynchronizationSources: () => [{ audioLevel: 1 }] },
      { track: { kind: "audio" }, getSynchronizationSources: () => [{ audioLevel: 0.2 }, { audioLevel: 0.3 }] },
      { track: { kind: "audio" } }, // a browser without getSynchronizationSources
    ],
  };
  assert.equal(PeerLink.prototype.audioLevel.call({ pc }), 0.3);
  assert.equal(PeerLink.prototype.audioLevel.call({ pc: { getReceivers: () => [] } }), 0);
});

// A stats report as Chromium gives one: the selected pair's round trip, inbound RTP counters.
function report({ rtt, lost, received }) {
  return new Map([
    ["T", { type: "transport", selectedCandidatePairId: "P" }],
    ["P", { id: "P", type: "candidate-pair", currentRoundTripTime: rtt }],
    ["V", { type: "inbound-rtp", packetsLost: lost, packetsReceived: received }],
  ]);
}

test("QualityMonitor grades each connected peer from the transport's stats", async (t) => {
  t.mock.timers.enable({ apis: ["setInterval"] });
  const reports = { a: report({ rtt: 0.05, lost: 0, received: 100 }), b: report({ rtt: 0.5, lost: 0, received: 100 }) };
  const transport = {
    peerIds: ["a", "b", "c"],
    connectionState: (peerId) => (peerId === "c" ? "connecting" : "connected"),
    stats: async (peerId) => reports[peerId] ?? null,
  };
  const seen = new Map();
  const monitor = new QualityMonitor({ transport, onQuality: (peerId, q) => seen.set(peerId, q) });
  monitor.start();
  t.mock.timers.tick(2_000);
  await settle();
  const { level, rttMs, lossPercent, kbpsIn, relayed } = seen.get("a");
  assert.deepEqual({ level, rttMs, lossPercent, kbpsIn, relayed }, { level: "good", rttMs: 50, lossPercent: 0, kbpsIn: null, relayed: false });
  assert.equal(seen.get("b").level, "poor");
  assert.equal(seen.has("c"), false, "not connected: not graded");
  monitor.stop();
});

test("loss counts what was lost since the last reading; a replaced connection starts afresh", () => {
  const first = readStats(report({ rtt: 0.1, lost: 10, received: 990 }), null);
  const second = readStats(report({ rtt: 0.1, lost: 15, received: 1085 }), first.counters);
  assert.equal(second.lossPercent, 5);
  const replaced = readStats(report({ rtt: 0.1, lost: 1, received: 99 }), second.counters);
  assert.equal(replaced.lossPercent, 1, "counters from zero, not negative");
});

test("BitrateControl sets the table's limits through the transport, and tries again until settled", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const calls = [];
  let settled = false;
  const transport = {
    setVideoLimits: async (peerId, limits) => {
      calls.push([peerId, limits]);
      return settled;
    },
  };
  const control = new BitrateControl({ transport, state: () => ({ people: 5, sharing: false }) });
  control.update();
  await settle();
  assert.deepEqual(calls, [[null, { maxBitrate: 350_000, scaleResolutionDownBy: 2 }]]);
  settled = true;
  t.mock.timers.tick(1_000);
  await settle();
  assert.equal(calls.length, 2);
  t.mock.timers.tick(5_000);
  await settle();
  assert.equal(calls.length, 2, "settled: no more tries");
  control.stop();
});

// A connection with one audio and one video sender; each sender remembers what was set on it.
function fakeConnection({ signalingState = "stable", encodings = [{}] } = {}) {
  const sender = () => ({
    encodings,
    set: [],
    getParameters() {
      return { encodings: structuredClone(this.encodings) };
    },
    async setParameters(params) {
      this.encodings = params.encodings;
      this.set.push(params.encodings[0]);
    },
  });
  const audio = sender();
  const video = sender();
  return {
    connectionState: "connected",
    signalingState,
    audio,
    video,
    getTransceivers: () => [
      { stopped: false, receiver: { track: { kind: "audio" } }, sender: audio },
      { stopped: false, receiver: { track: { kind: "video" } }, sender: video },
    ],
  };
}

test("limitVideo (the mesh's setVideoLimits) limits video senders only, never mid-negotiation", async () => {
  const limits = { maxBitrate: 700_000, scaleResolutionDownBy: 1 };
  const pc = fakeConnection();
  assert.equal(await limitVideo(pc, limits), true);
  assert.deepEqual(pc.video.set, [limits]);
  assert.deepEqual(pc.audio.set, []);
  assert.equal(await limitVideo(pc, limits), true);
  assert.equal(pc.video.set.length, 1, "what is in place is not set twice");
  const negotiating = fakeConnection({ signalingState: "have-local-offer" });
  assert.equal(await limitVideo(negotiating, limits), false);
  assert.deepEqual(negotiating.video.set, []);
  const unnegotiated = fakeConnection({ encodings: [] });
  assert.equal(await limitVideo(unnegotiated, limits), false, "no encodings yet: try again");
  assert.equal(await limitVideo({ ...fakeConnection(), connectionState: "closed" }, limits), true);
});
