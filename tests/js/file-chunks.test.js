import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";

import { CHUNK_BYTES } from "../../consulta/static/js/call/data-protocol.js";
import {
  checkOffer,
  chunkRanges,
  DEFAULT_MAX_MB,
  formatSize,
  IncomingFile,
  maxBytes,
  safeName,
  safeType,
  sha256Hex,
} from "../../consulta/static/js/call/file-chunks.js";

const hash = (bytes) => createHash("sha256").update(bytes).digest("hex");
const SHA = "a".repeat(64);

test("chunk ranges cover the file exactly, 16 KiB at a time", () => {
  assert.deepEqual(chunkRanges(0), []);
  assert.deepEqual(chunkRanges(10), [[0, 10]]);
  const ranges = chunkRanges(2 * CHUNK_BYTES + 5);
  assert.deepEqual(ranges, [
    [0, CHUNK_BYTES],
    [CHUNK_BYTES, 2 * CHUNK_BYTES],
    [2 * CHUNK_BYTES, 2 * CHUNK_BYTES + 5],
  ]);
});

test("the size limit comes from the page, in MB, with a default", () => {
  assert.equal(maxBytes("25"), 25 * 1024 * 1024);
  assert.equal(maxBytes("2"), 2 * 1024 * 1024);
  assert.equal(maxBytes(undefined), DEFAULT_MAX_MB * 1024 * 1024);
  assert.equal(maxBytes("nonsense"), DEFAULT_MAX_MB * 1024 * 1024);
});

test("an offer is checked: id, size within the limit, a SHA-256; name and type made safe", () => {
  const good = { id: 5, name: "report.pdf", size: 1000, type: "application/pdf", sha256: SHA };
  assert.deepEqual(checkOffer(good, 2000), good);
  assert.equal(checkOffer({ ...good, size: 2001 }, 2000), null, "over the limit");
  assert.equal(checkOffer({ ...good, size: -1 }, 2000), null);
  assert.equal(checkOffer({ ...good, size: 1.5 }, 2000), null);
  assert.equal(checkOffer({ ...good, id: 0 }, 2000), null);
  assert.equal(checkOffer({ ...good, id: 2 ** 32 }, 2000), null);
  assert.equal(checkOffer({ ...good, sha256: "xyz" }, 2000), null);
  assert.equal(checkOffer({ ...good, name: 7 }, 2000), null);
  assert.equal(checkOffer(null, 2000), null);
  const odd = checkOffer({ ...good, name: "../../etc/passwd\u0000", type: "text/html; charset=x" }, 2000);
  assert.equal(odd.name, "_.._etc_passwd_");
  assert.equal(odd.type, "application/octet-stream");
});

test("file names lose path separators, control characters and leading dots; types must look like types", () => {
  assert.equal(safeName("scan.png"), "scan.png");
  assert.equal(safeName("a\\b/c\nd"), "a_b_c_d");
  assert.equal(safeName("...hidden"), "hidden");
  assert.equal(safeName("   "), "file");
  assert.equal(safeName("x".repeat(500)).length, 200);
  assert.equal(safeType("Image/PNG"), "image/png");
  assert.equal(safeType(""), "application/octet-stream");
  assert.equal(safeType("<script>"), "application/octet-stream");
});

test("an incoming file takes its chunks in order, never more than announced, and checks the hash", async () => {
  const bytes = Uint8Array.from({ length: 40_000 }, (_, i) => (i * 7) % 251);
  const file = new IncomingFile({ size: bytes.length, sha256: hash(bytes) });
  const ranges = chunkRanges(bytes.length);
  assert.equal(file.add(1, bytes.subarray(...ranges[1])), "out_of_order");
  assert.equal(file.add(0, bytes.subarray(...ranges[0])), "more");
  assert.equal(file.add(1, bytes.subarray(...ranges[1])), "more");
  assert.ok(file.progress > 0.8 && file.progress < 1);
  assert.equal(file.add(2, new Uint8Array(CHUNK_BYTES)), "too_much", "past the announced size");
  assert.equal(file.add(2, bytes.subarray(...ranges[2])), "complete");
  const result = await file.verify();
  assert.equal(result.ok, true);
  assert.deepEqual(Buffer.from(result.bytes), Buffer.from(bytes));
});

test("a file whose bytes or size differ from the offer is refused", async () => {
  const bytes = new TextEncoder().encode("the real content");
  const wrongHash = new IncomingFile({ size: bytes.length, sha256: hash(new TextEncoder().encode("other")) });
  wrongHash.add(0, bytes);
  assert.deepEqual(await wrongHash.verify(), { ok: false, reason: "hash" });
  const short = new IncomingFile({ size: bytes.length + 1, sha256: hash(bytes) });
  short.add(0, bytes);
  assert.deepEqual(await short.verify(), { ok: false, reason: "size" });
});

test("sha256Hex is the SHA-256 everyone computes; sizes read as people write them", async () => {
  const bytes = new TextEncoder().encode("consulta");
  assert.equal(await sha256Hex(bytes), hash(bytes));
  assert.equal(formatSize(500, "en"), "500 byte");
  assert.equal(formatSize(300 * 1024, "en"), "300 kB");
  assert.equal(formatSize(2.5 * 1024 * 1024, "en"), "2.5 MB");
});
