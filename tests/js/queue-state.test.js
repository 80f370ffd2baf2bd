import assert from "node:assert/strict";
import { test } from "node:test";

import { QueueState } from "../../consulta/static/js/pages/queue-state.js";

const card = (id, version, waiting_since = "2024-05-01T10:00:00Z", extra = {}) => ({ id, version, waiting_since, ...extra });

test("sorted: longest waiting first, ties by id; newestFirst reverses", () => {
  const queue = new QueueState();
  queue.replace([
    card(3, 1, "2024-05-01T10:05:00Z"),
    card(2, 1, "2024-05-01T10:00:00Z"),
    card(1, 1, "2024-05-01T10:00:00Z"),
  ]);
  assert.deepEqual(queue.sorted().map((c) => c.id), [1, 2, 3]);
  assert.deepEqual(queue.sorted(true).map((c) => c.id), [3, 2, 1]);
});

test("apply: a newer version replaces the card, an equal or older one changes nothing", () => {
  const queue = new QueueState();
  assert.equal(queue.apply(card(1, 2, undefined, { status: "waiting" })), true);
  assert.equal(queue.apply(card(1, 2, undefined, { status: "stale" })), false);
  assert.equal(queue.apply(card(1, 1, undefined, { status: "older" })), false);
  assert.equal(queue.all()[0].status, "waiting");
  assert.equal(queue.apply(card(1, 3, undefined, { status: "in_call" })), true);
  assert.equal(queue.all()[0].status, "in_call");
});

test("remove leaves a tombstone: a late, older update does not bring the caller back", () => {
  const queue = new QueueState();
  queue.apply(card(1, 1));
  assert.equal(queue.remove(1, 2), true);
  assert.equal(queue.has(1), false);
  assert.equal(queue.apply(card(1, 2)), false, "the update the removal superseded");
  assert.equal(queue.has(1), false);
  // Only something newer than the removal (the caller came back) shows again.
  assert.equal(queue.apply(card(1, 3)), true);
  assert.deepEqual(queue.ids(), [1]);
});

test("remove keeps the highest removal version", () => {
  const queue = new QueueState();
  queue.remove(1, 5);
  queue.remove(1, 2); // an older removal arriving late
  assert.equal(queue.apply(card(1, 4)), false);
});

test("a snapshot taken before a removal does not bring the removed caller back", () => {
  const queue = new QueueState();
  queue.replace([card(1, 1), card(2, 1)]);
  queue.remove(1, 2); // the event overtakes the snapshot the server built before it
  queue.replace([card(1, 1), card(2, 1), card(3, 1)]);
  assert.deepEqual(queue.ids().sort(), [2, 3]);
});

test("replace drops callers the snapshot no longer lists; later events apply on top", () => {
  const queue = new QueueState();
  queue.replace([card(1, 1), card(2, 1)]);
  queue.replace([card(2, 4)]);
  assert.deepEqual(queue.ids(), [2]);
  assert.equal(queue.apply(card(2, 3)), false, "older than the snapshot");
  assert.equal(queue.apply(card(2, 5)), true);
  queue.replace([]);
  assert.deepEqual(queue.all(), []);
});
