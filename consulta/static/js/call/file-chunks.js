// Sharing a file in the call, the pure part: what an offer may say, how a file is cut into
// chunks, and how the receiver puts it together and checks it. No DOM: files.js shows it,
// node tests load it.
//
// A file goes peer to peer over the call's data channel (data-protocol.js), never through
// the server. Text messages {app: "files", t, id, ...}, `id` a number the sender chose
// for this transfer (to one recipient):
//   sender → recipient   {t: "offer", id, name, size, type, sha256}
//   recipient → sender   {t: "accept", id}, or {t: "decline", id}: not wanted, or stopped
//                        under way (the recipient's cancel)
//   sender → recipient   binary chunks [1][id][chunk number][≤ 16 KiB], in order, then {t: "end", id}
//   recipient → sender   {t: "received", id, ok}: the size and SHA-256 matched (ok) or not
//   sender → recipient   {t: "cancel", id}: the sender stopped it
// The recipient takes no more bytes than the offer announced, and only once it accepted.

import { CHUNK_BYTES } from "./data-protocol.js";

export const APP = "files";
export const DEFAULT_MAX_MB = 25;
export const MAX_NAME_LENGTH = 200;
// Offers from one peer waiting for an answer at once; more are refused.
export const MAX_PENDING_OFFERS = 5;
const SHA256 = /^[0-9a-f]{64}$/;
const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/i;
// Path separators and control characters never reach a file name on the receiver's disk.
const UNSAFE = /[\u0000-\u001f\u007f/\\]/g;

export function maxBytes(megabytes) {
  const mb = Number(megabytes);
  return Math.round((Number.isFinite(mb) && mb > 0 ? mb : DEFAULT_MAX_MB) * 1024 * 1024);
}

export function safeName(name) {
  const cleaned = String(name ?? "")
    .replace(UNSAFE, "_")
    .trim()
    .replace(/^\.+/, "")
    .slice(0, MAX_NAME_LENGTH);
  return cleaned || "file";
}

export function safeType(type) {
  const value = String(type ?? "").trim().toLowerCase();
  return MIME.test(value) ? value : "application/octet-stream";
}

export function isTransferId(id) {
  return Number.isInteger(id) && id > 0 && id <= 0xffffffff;
}

// The offer as the recipient will show it, or null when it cannot be one.
export function checkOffer(message, limit) {
  const { id, name, size, type, sha256 } = message ?? {};
  if (!isTransferId(id) || typeof name !== "string" || typeof sha256 !== "string" || !SHA256.test(sha256)) return null;
  if (!Number.isSafeInteger(size) || size < 0 || size > limit) return null;
  if (type !== undefined && typeof type !== "string") return null;
  return { id, name: safeName(name), size, type: safeType(type), sha256 };
}

// [start, end) of every chunk of a file of `size` bytes.
export function chunkRanges(size, chunk = CHUNK_BYTES) {
  const ranges = [];
  for (let start = 0; start < size; start += chunk) ranges.push([start, Math.min(size, start + chunk)]);
  return ranges;
}

// "300 KB", "2.5 MB", in the page's language.
export function formatSize(bytes, lang = undefined) {
  const [value, unit] =
    bytes >= 1024 * 1024 ? [bytes / (1024 * 1024), "megabyte"] : bytes >= 1024 ? [bytes / 1024, "kilobyte"] : [bytes, "byte"];
  return new Intl.NumberFormat(lang, { style: "unit", unit, maximumFractionDigits: value < 10 ? 1 : 0 }).format(value);
}

export function toHex(buffer) {
  return [...new Uint8Array(buffer)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

export async function sha256Hex(data) {
  return toHex(await crypto.subtle.digest("SHA-256", data));
}

// A file coming in from one peer, once accepted: chunks in order, never past the size.
export class IncomingFile {
  received = 0;
  #next = 0;
  #parts = [];

  constructor({ size, sha256 }) {
    this.size = size;
    this.sha256 = sha256;
  }

  get progress() {
    return this.size ? this.received / this.size : 1;
  }

  // "more" | "complete", or a refusal: "out_of_order" | "too_much"
  add(seq, bytes) {
    if (seq !== this.#next) return "out_of_order";
    if (this.received + bytes.byteLength > this.size) return "too_much";
    this.#parts.push(bytes.slice()); // a copy: the frame's buffer belongs to the channel's message
    this.#next += 1;
    this.received += bytes.byteLength;
    return this.received === this.size ? "complete" : "more";
  }

  // After the sender's "end": {ok: true, parts} with every byte there and the hash right,
  // else {ok: false, reason: "size" | "hash"}.
  async verify(digest = sha256Hex) {
    if (this.received !== this.size) return { ok: false, reason: "size" };
    const whole = new Uint8Array(this.size);
    let at = 0;
    for (const part of this.#parts) {
      whole.set(part, at);
      at += part.byteLength;
    }
    if ((await digest(whole)) !== this.sha256) return { ok: false, reason: "hash" };
    return { ok: true, bytes: whole };
  }

  discard() {
    this.#parts = [];
  }
}
