import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { loadDevices, saveDevices } from "../../consulta/static/js/pages/device-choice.js";

// The module reads sessionStorage when called, so a stub installed before each test is enough.
function memoryStorage() {
  const items = new Map();
  return {
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => items.set(key, String(value)),
    removeItem: (key) => items.delete(key),
  };
}

const NONE = { videoDeviceId: null, audioDeviceId: null, speakerId: null };

beforeEach(() => {
  globalThis.sessionStorage = memoryStorage();
});

test("nothing chosen yet: every device is the browser's default", () => {
  assert.deepEqual(loadDevices(), NONE);
});

test("a saved choice comes back", () => {
  const choice = { videoDeviceId: "cam-2", audioDeviceId: "mic-1", speakerId: "spk-3" };
  saveDevices(choice);
  assert.deepEqual(loadDevices(), choice);
});

test("a partial choice is completed with defaults", () => {
  saveDevices({ audioDeviceId: "mic-1" });
  assert.deepEqual(loadDevices(), { ...NONE, audioDeviceId: "mic-1" });
});

test("unreadable storage falls back to the defaults", () => {
  sessionStorage.setItem("consulta.devices", "{not json");
  assert.deepEqual(loadDevices(), NONE);
  globalThis.sessionStorage = {
    getItem() {
      throw new Error("SecurityError: storage is disabled");
    },
  };
  assert.deepEqual(loadDevices(), NONE);
});
