import assert from "node:assert/strict";
import { test } from "node:test";

import { QueueState, isUrgent } from "../../consulta/static/js/pages/queue-state.js";

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

const urgent = (id, version, waiting_since, urgent_since, reason = "distress") =>
  card(id, version, waiting_since, { urgent: reason, urgent_since });

test("sorted: urgent callers first, the first marked first, then the rest by arrival", () => {
  const queue = new QueueState();
  queue.replace([
    card(1, 1, "2024-05-01T10:00:00Z"),
    urgent(2, 2, "2024-05-01T10:20:00Z", "2024-05-01T10:31:00Z"),
    card(3, 1, "2024-05-01T10:05:00Z"),
    urgent(4, 2, "2024-05-01T10:25:00Z", "2024-05-01T10:30:00Z", "other"),
    card(5, 1, "2024-05-01T10:10:00Z", { urgent: null, urgent_since: null }),
  ]);
  assert.deepEqual(queue.sorted().map((c) => c.id), [4, 2, 1, 3, 5]);
  // "Newest first" turns the rest around; the urgent stay first, in their order.
  assert.deepEqual(queue.sorted(true).map((c) => c.id), [4, 2, 5, 3, 1]);
});

test("sorted: marked at the same moment, the longer waiting goes first", () => {
  const queue = new QueueState();
  queue.replace([urgent(7, 2, "2024-05-01T10:10:00Z", "2024-05-01T10:30:00Z"), urgent(8, 2, "2024-05-01T10:00:00Z", "2024-05-01T10:30:00Z")]);
  assert.deepEqual(queue.sorted().map((c) => c.id), [8, 7]);
});

test("an urgency event moves the card first; clearing it puts the card back at its place", () => {
  const queue = new QueueState();
  queue.replace([card(1, 1, "2024-05-01T10:00:00Z"), card(2, 1, "2024-05-01T10:05:00Z")]);
  assert.equal(queue.apply(urgent(2, 2, "2024-05-01T10:05:00Z", "2024-05-01T10:30:00Z")), true);
  assert.deepEqual(queue.sorted().map((c) => c.id), [2, 1]);
  assert.equal(queue.apply(card(2, 3, "2024-05-01T10:05:00Z", { urgent: null, urgent_since: null })), true);
  assert.deepEqual(queue.sorted().map((c) => c.id), [1, 2]);
  // A late copy of the urgent card changes nothing: the version decides.
  assert.equal(queue.apply(urgent(2, 2, "2024-05-01T10:05:00Z", "2024-05-01T10:30:00Z")), false);
  assert.deepEqual(queue.sorted().map((c) => c.id), [1, 2]);
});

test("isUrgent: a reason code makes a caller urgent; null, empty or none does not", () => {
  assert.equal(isUrgent({ urgent: "clinical_concern" }), true);
  for (const value of [null, "", undefined]) assert.equal(isUrgent({ urgent: value }), false);
  assert.equal(isUrgent({}), false);
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
