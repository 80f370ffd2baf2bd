import assert from "node:assert/strict";
import { test } from "node:test";

import { BitrateControl, videoEncoding } from "../../consulta/static/js/call/bitrate.js";
import { limitVideo } from "../../consulta/static/js/call/link.js";

// The mesh's setVideoLimits over these connections (Mesh.setVideoLimits does the same over its links).
const over = (connections) => ({
  setVideoLimits: async (_peerId, limits) => (await Promise.all(connections.map((pc) => limitVideo(pc, limits)))).every(Boolean),
});

test("videoEncoding follows the table of docs/calls.md", () => {
  const rows = [1, 2, 3, 4, 5, 6].map((people) => [people, videoEncoding(people)]);
  assert.deepEqual(rows, [
    [1, { maxBitrate: 1_000_000, scaleResolutionDownBy: 1 }],
    [2, { maxBitrate: 1_000_000, scaleResolutionDownBy: 1 }],
    [3, { maxBitrate: 700_000, scaleResolutionDownBy: 1 }],
    [4, { maxBitrate: 500_000, scaleResolutionDownBy: 1 }],
    [5, { maxBitrate: 350_000, scaleResolutionDownBy: 2 }],
    [6, { maxBitrate: 350_000, scaleResolutionDownBy: 2 }],
  ]);
});

test("a shared screen keeps its full resolution, not more bitrate", () => {
  assert.deepEqual(videoEncoding(6, { sharing: true }), { maxBitrate: 350_000, scaleResolutionDownBy: 1 });
  assert.deepEqual(videoEncoding(3, { sharing: true }), videoEncoding(3));
});

// A connection with one audio and one video sender; each sender remembers what was set on it.
function fakeConnection({ signalingState = "stable", encodings = [{}] } = {}) {
  const sender = (kind) => ({
    kind,
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
  const audio = sender("audio");
  const video = sender("video");
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

const settle = () => new Promise((resolve) => setImmediate(resolve));

test("BitrateControl limits video senders only, and again after a negotiation settles", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const ready = fakeConnection();
  const negotiating = fakeConnection({ signalingState: "have-local-offer" });
  const control = new BitrateControl({ transport: over([ready, negotiating]), state: () => ({ people: 5, sharing: false }) });
  control.update();
  await settle();
  assert.deepEqual(ready.video.set, [{ maxBitrate: 350_000, scaleResolutionDownBy: 2 }]);
  assert.deepEqual(ready.audio.set, []);
  assert.deepEqual(negotiating.video.set, [], "parameters are left alone mid-negotiation");

  negotiating.signalingState = "stable";
  t.mock.timers.tick(1_000);
  await settle();
  assert.deepEqual(negotiating.video.set, [{ maxBitrate: 350_000, scaleResolutionDownBy: 2 }]);
  assert.equal(ready.video.set.length, 1, "what is in place is not set twice");
  control.stop();
});

test("BitrateControl does not set parameters that are already in place", async () => {
  const pc = fakeConnection({ encodings: [{ maxBitrate: 700_000, scaleResolutionDownBy: 1 }] });
  const control = new BitrateControl({ transport: over([pc]), state: () => ({ people: 3, sharing: false }) });
  control.update();
  await settle();
  assert.deepEqual(pc.video.set, []);
  control.stop();
});
