import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  LIMITS,
  newStrokeId,
  normalise,
  toPixels,
  WhiteboardModel,
  WIDTHS,
} from "../../consulta/static/js/call/whiteboard-model.js";

const stroke = (id, p = [0.1, 0.1], extra = {}) => ({ app: "board", t: "stroke", id, tool: "pen", color: "red", width: WIDTHS.medium, p, ...extra });

describe("WhiteboardModel", () => {
  test("a stroke begins, grows by batches of its author, and is drawn in order", () => {
    const board = new WhiteboardModel();
    assert.ok(board.apply("ana", stroke("s1")));
    assert.ok(board.apply("ana", { app: "board", t: "points", id: "s1", p: [0.2, 0.2, 0.3, 0.3] }));
    assert.ok(board.apply("bo", stroke("s2", [0.5, 0.5])));
    assert.deepEqual(
      board.strokes.map((s) => [s.id, s.by, s.p.length / 2]),
      [
        ["s1", "ana", 3],
        ["s2", "bo", 1],
      ],
    );
    assert.equal(board.ignored, 0);
  });

  test("only the author adds to or undoes a stroke", () => {
    const board = new WhiteboardModel();
    board.apply("ana", stroke("s1"));
    assert.equal(board.apply("bo", { app: "board", t: "points", id: "s1", p: [0.9, 0.9] }), false);
    assert.equal(board.apply("bo", { app: "board", t: "undo", id: "s1" }), false);
    assert.equal(board.ignored, 2);
    assert.ok(board.apply("ana", { app: "board", t: "undo", id: "s1" }));
    assert.equal(board.size, 0);
    // An undone stroke stays gone, even if a late copy of it comes.
    assert.equal(board.apply("ana", stroke("s1")), false);
    assert.equal(board.apply("cy", { app: "board", t: "sync", strokes: [{ ...stroke("s1"), by: "ana" }] }), false);
    assert.equal(board.size, 0);
  });

  test("clear empties the board for everyone's strokes", () => {
    const board = new WhiteboardModel();
    board.apply("ana", stroke("s1"));
    board.apply("bo", stroke("s2"));
    assert.ok(board.apply("bo", { app: "board", t: "clear" }));
    assert.equal(board.size, 0);
    assert.equal(board.apply("bo", { app: "board", t: "clear" }), false, "nothing left to clear");
    assert.equal(board.ignored, 0);
  });

  test("malformed strokes are ignored and counted: coordinates, colours, widths, tools, ids", () => {
    const board = new WhiteboardModel();
    const bad = [
      stroke("a", [0.1]),
      stroke("b", [0.1, 1.5]),
      stroke("c", [0.1, -0.1]),
      stroke("d", ["0.1", 0.2]),
      stroke("e", []),
      stroke("f", [0.1, Number.NaN]),
      stroke("g", [0.1, 0.1], { color: "#ff0000" }),
      stroke("h", [0.1, 0.1], { width: 7 }),
      stroke("i", [0.1, 0.1], { tool: "spray" }),
      stroke("has space"),
      stroke(""),
      stroke(42),
      { app: "board", t: "points", id: "nobody", p: [0.1, 0.1] },
      { app: "board", t: "dance" },
      { app: "files", t: "stroke" },
      null,
    ];
    for (const message of bad) assert.equal(board.apply("ana", message), false, JSON.stringify(message));
    assert.equal(board.ignored, bad.length);
    assert.equal(board.size, 0);
    // An eraser needs no colour.
    assert.ok(board.apply("ana", stroke("e1", [0.5, 0.5], { tool: "eraser", color: null })));
  });

  test("limits: points per message, per stroke, and strokes on the board", () => {
    const board = new WhiteboardModel();
    const many = (n) => Array.from({ length: 2 * n }, () => 0.5);
    assert.equal(board.apply("ana", stroke("big", many(LIMITS.pointsPerMessage + 1))), true, "a stroke may begin with a long copy");
    board.apply("ana", stroke("s", [0.1, 0.1]));
    assert.equal(board.apply("ana", { app: "board", t: "points", id: "s", p: many(LIMITS.pointsPerMessage + 1) }), false);
    for (let i = 0; i < 3; i += 1) board.apply("ana", { app: "board", t: "points", id: "s", p: many(LIMITS.pointsPerMessage) });
    assert.equal(board.apply("ana", { app: "board", t: "points", id: "s", p: many(LIMITS.pointsPerMessage) }), false, "past a stroke's most points");
    const full = new WhiteboardModel();
    for (let i = 0; i < LIMITS.strokes; i += 1) full.apply("ana", stroke(`s${i}`));
    assert.equal(full.apply("ana", stroke("one-more")), false);
    assert.equal(full.size, LIMITS.strokes);
  });

  test("a newcomer gets the board in sync messages that fit the channel, deduplicated by id", () => {
    const board = new WhiteboardModel();
    for (let i = 0; i < 30; i += 1) {
      board.apply(i % 2 ? "ana" : "bo", stroke(`s${i}`, Array.from({ length: 400 }, () => 0.25)));
    }
    const messages = board.syncMessages(10_000);
    assert.ok(messages.length > 1);
    for (const message of messages) assert.ok(JSON.stringify(message).length <= 10_000);
    const newcomer = new WhiteboardModel();
    for (const message of messages) newcomer.apply("ana", message);
    for (const message of messages) newcomer.apply("bo", message); // the same board from another peer
    assert.deepEqual(
      newcomer.strokes.map((s) => [s.id, s.by]),
      board.strokes.map((s) => [s.id, s.by]),
    );
    // Authorship travels with the stroke: the author may then undo it on the newcomer's board.
    assert.ok(newcomer.apply("bo", { app: "board", t: "undo", id: "s0" }));
  });

  test("the author's own copy of a stroke completes a shorter one received before", () => {
    const board = new WhiteboardModel();
    board.apply("cy", { app: "board", t: "sync", strokes: [{ ...stroke("s1", [0.1, 0.1]), by: "ana" }] });
    board.apply("ana", { app: "board", t: "sync", strokes: [{ ...stroke("s1", [0.1, 0.1, 0.2, 0.2]), by: "ana" }] });
    assert.deepEqual(board.strokes[0].p, [0.1, 0.1, 0.2, 0.2]);
    // Not somebody else's copy, though.
    board.apply("cy", { app: "board", t: "sync", strokes: [{ ...stroke("s1", [0.1, 0.1, 0.2, 0.2, 0.9, 0.9]), by: "ana" }] });
    assert.equal(board.strokes[0].p.length, 4);
  });
});

test("coordinates are normalised 0..1 to 4 decimals; pixels follow the board's size", () => {
  assert.equal(normalise(0.123456), 0.1235);
  assert.equal(normalise(-3), 0);
  assert.equal(normalise(7), 1);
  const s = { p: [0.5, 0.25, 1, 1], width: WIDTHS.thin, tool: "pen" };
  assert.deepEqual(toPixels(s, 800, 600), { xy: [[400, 150], [800, 600]], lineWidth: 2.4 });
  assert.equal(toPixels({ ...s, tool: "eraser" }, 1000, 750).lineWidth, 9);
});

test("stroke ids are random, URL-safe and valid", () => {
  const ids = new Set(Array.from({ length: 100 }, () => newStrokeId()));
  assert.equal(ids.size, 100);
  for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{16}$/);
});
