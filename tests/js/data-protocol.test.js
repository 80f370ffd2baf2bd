import assert from "node:assert/strict";
import { test } from "node:test";

import {
  CHUNK_BYTES,
  DataGate,
  decodeFrame,
  encodeChunk,
  encodeText,
  FRAME_HEADER_BYTES,
  MAX_MESSAGE_BYTES,
  TEXT_RATE,
  TokenBucket,
} from "../../consulta/static/js/call/data-protocol.js";

// A clock the tests move by hand (ms).
function clock() {
  const c = { t: 0, now: () => c.t };
  return c;
}

test("a chunk frame carries transfer id, chunk number and bytes, and comes back the same", () => {
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 256);
  const frame = encodeChunk(0xfeedbeef, 7, bytes);
  assert.equal(frame.byteLength, FRAME_HEADER_BYTES + 1000);
  const decoded = decodeFrame(frame);
  assert.equal(decoded.kind, "chunk");
  assert.equal(decoded.transfer, 0xfeedbeef);
  assert.equal(decoded.seq, 7);
  assert.deepEqual([...decoded.bytes], [...bytes]);
});

test("no chunk over CHUNK_BYTES is made, and no frame of another kind or too short is read", () => {
  assert.throws(() => encodeChunk(1, 0, new Uint8Array(CHUNK_BYTES + 1)), RangeError);
  assert.equal(decodeFrame(new ArrayBuffer(4)), null);
  const other = new Uint8Array(FRAME_HEADER_BYTES + 4);
  other[0] = 2;
  assert.equal(decodeFrame(other.buffer), null);
  assert.equal(decodeFrame(new ArrayBuffer(FRAME_HEADER_BYTES + CHUNK_BYTES + 1)), null);
});

test("text over 64 KiB is not encoded, counting bytes, not characters", () => {
  assert.equal(typeof encodeText({ app: "board", t: "x", s: "a".repeat(1000) }), "string");
  assert.equal(encodeText({ app: "board", t: "x", s: "a".repeat(MAX_MESSAGE_BYTES) }), null);
  // 30,000 characters of three bytes each: 90 KB on the wire.
  assert.equal(encodeText({ app: "board", t: "x", s: "€".repeat(30_000) }), null);
});

test("the token bucket lets a burst through, then its rate", () => {
  const c = clock();
  const bucket = new TokenBucket({ perSecond: 10, burst: 5 }, c.now);
  const taken = Array.from({ length: 7 }, () => bucket.take());
  assert.deepEqual(taken, [true, true, true, true, true, false, false]);
  c.t += 100; // one more token
  assert.equal(bucket.take(), true);
  assert.equal(bucket.take(), false);
  c.t += 60_000; // never more than the burst saved up
  assert.equal(Array.from({ length: 6 }, () => bucket.take()).filter(Boolean).length, 5);
});

test("the gate lets JSON objects with app and t through, and drops and counts everything else", () => {
  const gate = new DataGate({ now: clock().now });
  assert.deepEqual(gate.accept('{"app":"board","t":"clear"}'), { text: { app: "board", t: "clear" } });
  for (const bad of ["not json", "[1,2]", "null", '"text"', '{"app":"board"}', '{"app":1,"t":"x"}']) {
    assert.equal(gate.accept(bad), null, bad);
  }
  assert.equal(gate.accept("x".repeat(MAX_MESSAGE_BYTES + 1)), null);
  assert.equal(gate.accept(new ArrayBuffer(MAX_MESSAGE_BYTES + 1)), null);
  assert.equal(gate.accept(new ArrayBuffer(3)), null);
  assert.equal(gate.accept({ size: 10 }), null, "a Blob or anything else");
  assert.deepEqual(gate.dropped, { too_large: 2, malformed: 8, rate: 0 });
  const frame = gate.accept(encodeChunk(3, 0, new Uint8Array([1, 2, 3])));
  assert.equal(frame.frame.transfer, 3);
  assert.deepEqual([...gate.accept(new Uint8Array(encodeChunk(4, 1, new Uint8Array([9])))).frame.bytes], [9]);
});

test("the gate drops text past the rate per peer, and takes it again once the bucket refills", () => {
  const c = clock();
  const gate = new DataGate({ now: c.now });
  const message = '{"app":"board","t":"points","id":"a","p":[0,0]}';
  let passed = 0;
  for (let i = 0; i < TEXT_RATE.burst + 50; i += 1) if (gate.accept(message)) passed += 1;
  assert.equal(passed, TEXT_RATE.burst);
  assert.equal(gate.dropped.rate, 50);
  c.t += 1_000;
  assert.ok(gate.accept(message));
  assert.equal(gate.droppedTotal, 50);
  // Binary chunks are not rate-limited here: files.js bounds them by the size announced.
  assert.ok(gate.accept(encodeChunk(1, 0, new Uint8Array(10))));
});
