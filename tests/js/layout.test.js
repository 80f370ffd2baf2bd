import assert from "node:assert/strict";
import { beforeEach, describe, mock, test } from "node:test";

import { ActiveSpeaker, Layout } from "../../consulta/static/js/call/layout.js";

// The call screen as Layout sees it: who is on screen, and the last layout it was told.
function fakeView(remotePeerIds = ["a", "b", "c"]) {
  return {
    remotePeerIds,
    shown: null,
    pinned: null,
    setLayout(mode, featured) {
      this.shown = { mode, featured };
    },
    setPinned(peerId) {
      this.pinned = peerId;
    },
  };
}

describe("Layout", () => {
  test("speaker layout features the first of the others when nobody speaks or is pinned", () => {
    const view = fakeView();
    const layout = new Layout({ view });
    assert.equal(layout.mode, "grid");
    layout.toggleMode();
    assert.deepEqual(view.shown, { mode: "speaker", featured: "a" });
    layout.toggleMode();
    assert.deepEqual(view.shown, { mode: "grid", featured: "a" });
  });

  test("alone in the call nobody is featured", () => {
    const layout = new Layout({ view: fakeView([]) });
    assert.equal(layout.featured, null);
  });

  test("pinning switches to the speaker layout and wins over the speaker; pinning again unpins", () => {
    const view = fakeView();
    const changes = [];
    const layout = new Layout({ view, onChange: (l) => changes.push([l.mode, l.pinned]) });
    layout.setSpeaker("b");
    layout.togglePin("c");
    assert.deepEqual(view.shown, { mode: "speaker", featured: "c" });
    assert.equal(view.pinned, "c");
    layout.togglePin("c");
    assert.deepEqual(view.shown, { mode: "speaker", featured: "b" }, "back to whoever speaks");
    assert.equal(view.pinned, null);
    assert.deepEqual(changes, [["speaker", "c"], ["speaker", null]]);
  });

  test("a new speaker redraws the speaker layout only, and never over a pin", () => {
    const view = fakeView();
    const layout = new Layout({ view });
    layout.setSpeaker("b");
    assert.equal(view.shown, null, "the grid does not change with who speaks");
    layout.setMode("speaker");
    layout.setSpeaker("c");
    assert.deepEqual(view.shown, { mode: "speaker", featured: "c" });
    layout.togglePin("a");
    layout.setSpeaker("b");
    assert.deepEqual(view.shown, { mode: "speaker", featured: "a" });
  });

  test("refresh forgets a pin on someone who left", () => {
    const view = fakeView();
    const layout = new Layout({ view });
    layout.togglePin("b");
    view.remotePeerIds = ["a", "c"];
    layout.refresh();
    assert.equal(layout.pinned, null);
    assert.equal(view.pinned, null);
    assert.deepEqual(view.shown, { mode: "speaker", featured: "a" });
  });
});

// A transport whose peers' audio levels are those set in `levels` (peerId → 0..1).
function fakeTransport(levels) {
  return { get peerIds() { return Object.keys(levels); }, audioLevel: (peerId) => levels[peerId] };
}

describe("ActiveSpeaker", () => {
  let levels;
  let changes;
  let speaker;
  const poll = (times = 1) => mock.timers.tick(500 * times);

  beforeEach((t) => {
    mock.timers.enable({ apis: ["setInterval"] });
    t.after(() => {
      speaker.stop();
      mock.timers.reset();
    });
    levels = { a: 0, b: 0 };
    changes = [];
    speaker = new ActiveSpeaker({ transport: fakeTransport(levels), onChange: (peerId) => changes.push(peerId) });
    speaker.start();
  });

  test("the first to speak is featured at once; silence keeps them", () => {
    poll();
    assert.deepEqual(changes, [], "quiet is nobody speaking (video receivers are not audio)");
    levels.a = 0.3;
    poll();
    assert.deepEqual(changes, ["a"]);
    levels.a = 0;
    poll(4);
    assert.equal(speaker.current, "a");
    assert.deepEqual(changes, ["a"]);
  });

  test("a new speaker must stay loudest for two polls; a cough does not switch", () => {
    levels.a = 0.2;
    poll(3);
    assert.equal(speaker.current, "a");
    levels.b = 0.6; // one loud poll
    poll();
    levels.b = 0;
    poll(3);
    assert.deepEqual(changes, ["a"]);
    levels.b = 0.6;
    poll();
    assert.deepEqual(changes, ["a"], "not after one poll");
    poll();
    assert.deepEqual(changes, ["a", "b"]);
  });

  test("forget clears the speaker who left; stop ends the polling", () => {
    levels.a = 0.3;
    poll();
    speaker.forget("a");
    assert.equal(speaker.current, null);
    speaker.stop();
    levels.b = 0.9;
    poll(4);
    assert.deepEqual(changes, ["a"]);
  });
});
