// The call's data channel, the pure part: framing, size limits and the receive rate limit.
// No DOM, no WebRTC: link.js applies it to each connection's channel, and node tests load it.
//
// One negotiated channel per connection ("consulta", id 0, ordered, reliable): both sides
// create it, nothing more to negotiate. It carries two kinds of messages:
//   - text: one JSON object, {"app": "<which app>", "t": "<what>", ...}, at most 64 KiB;
//   - binary: a file chunk, [kind 1: u8][transfer id: u32][chunk number: u32][bytes], at most
//     16 KiB of bytes (9 bytes of header), in order (the channel is ordered).
// Whatever does not fit (too large, not JSON, not an object, an unknown binary kind, more text
// messages than the rate allows) is dropped and counted, never thrown.

export const CHANNEL_LABEL = "consulta";
export const CHANNEL_ID = 0;
export const MAX_MESSAGE_BYTES = 64 * 1024;
export const CHUNK_BYTES = 16 * 1024;
export const FRAME_HEADER_BYTES = 9;
export const FRAME_FILE_CHUNK = 1;
// The sender waits while more than this is queued in the channel (a large file must not be
// read into the channel's buffer at once), and goes on once it fell to the low mark.
export const BUFFER_HIGH_BYTES = 1024 * 1024;
export const BUFFER_LOW_BYTES = 256 * 1024;
// Text messages per peer: whiteboard batches (about 25 a second while someone draws), a board
// sent to a latecomer (a few messages of up to 64 KiB), file offers and answers.
export const TEXT_RATE = { perSecond: 100, burst: 300 };

const encoder = new TextEncoder();

export class TokenBucket {
  #rate;
  #burst;
  #now;
  #tokens;
  #at;

  constructor({ perSecond, burst }, now = () => Date.now()) {
    this.#rate = perSecond / 1000;
    this.#burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#at = now();
  }

  take(count = 1) {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + Math.max(0, now - this.#at) * this.#rate);
    this.#at = now;
    if (this.#tokens < count) return false;
    this.#tokens -= count;
    return true;
  }
}

function byteLength(text) {
  // Three bytes at most per UTF-16 unit: only long strings need counting.
  return text.length * 3 <= MAX_MESSAGE_BYTES ? text.length : encoder.encode(text).length;
}

// A JSON text for the channel, or null when it would be over the limit.
export function encodeText(message) {
  const text = JSON.stringify(message);
  return byteLength(text) <= MAX_MESSAGE_BYTES ? text : null;
}

export function encodeChunk(transfer, seq, bytes) {
  if (bytes.byteLength > CHUNK_BYTES) throw new RangeError("A chunk holds at most CHUNK_BYTES");
  const frame = new Uint8Array(FRAME_HEADER_BYTES + bytes.byteLength);
  const view = new DataView(frame.buffer);
  view.setUint8(0, FRAME_FILE_CHUNK);
  view.setUint32(1, transfer >>> 0);
  view.setUint32(5, seq >>> 0);
  frame.set(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), FRAME_HEADER_BYTES);
  return frame.buffer;
}

// {kind: "chunk", transfer, seq, bytes: Uint8Array} or null.
export function decodeFrame(buffer) {
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength < FRAME_HEADER_BYTES) return null;
  const view = new DataView(buffer);
  if (view.getUint8(0) !== FRAME_FILE_CHUNK || buffer.byteLength > FRAME_HEADER_BYTES + CHUNK_BYTES) return null;
  return {
    kind: "chunk",
    transfer: view.getUint32(1),
    seq: view.getUint32(5),
    bytes: new Uint8Array(buffer, FRAME_HEADER_BYTES),
  };
}

// What arrives from one peer, checked: accept(data) → {text: object} | {frame} | null.
export class DataGate {
  dropped = { too_large: 0, malformed: 0, rate: 0 };
  #bucket;

  constructor({ rate = TEXT_RATE, now } = {}) {
    this.#bucket = new TokenBucket(rate, now);
  }

  get droppedTotal() {
    return Object.values(this.dropped).reduce((sum, n) => sum + n, 0);
  }

  accept(data) {
    if (typeof data === "string") {
      if (byteLength(data) > MAX_MESSAGE_BYTES) return this.#drop("too_large");
      if (!this.#bucket.take()) return this.#drop("rate");
      let message;
      try {
        message = JSON.parse(data);
      } catch {
        return this.#drop("malformed");
      }
      const plain = message !== null && typeof message === "object" && !Array.isArray(message);
      if (!plain || typeof message.app !== "string" || typeof message.t !== "string") return this.#drop("malformed");
      return { text: message };
    }
    const buffer = ArrayBuffer.isView(data) ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) : data;
    if (!(buffer instanceof ArrayBuffer)) return this.#drop("malformed"); // a Blob: binaryType is arraybuffer
    if (buffer.byteLength > MAX_MESSAGE_BYTES) return this.#drop("too_large");
    const frame = decodeFrame(buffer);
    return frame ? { frame } : this.#drop("malformed");
  }

  #drop(reason) {
    this.dropped[reason] += 1;
    return null;
  }
}
