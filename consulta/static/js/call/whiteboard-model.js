// The shared whiteboard's state, pure: strokes in the order they began, and the messages that
// change them. No DOM: whiteboard.js draws it, node tests load it.
//
// Every browser holds the whole board; nothing is kept on the server. Messages travel over
// the call's data channel (data-protocol.js) as {app: "board", t, ...}:
//   {t: "stroke", id, tool, color, width, p}   a stroke begins (p: its first points)
//   {t: "points", id, p}                       more points of a stroke being drawn
//   {t: "undo", id}                            its author takes a stroke back
//   {t: "clear"}                               the board is emptied, for everyone
//   {t: "sync", strokes: [{id, by, tool, color, width, p}]}
//                                              the board as it stands, for a newcomer
// Points are flat [x0, y0, x1, y1, …], normalised 0..1 to the board's width and height (the
// board keeps one aspect ratio everywhere), so boards of different sizes agree. Widths are in
// thousandths of the board's width. A stroke belongs to the peer that began it: only they add
// to it or undo it. Whatever does not fit these rules or the limits below is ignored and
// counted, never thrown.

export const APP = "board";
export const ASPECT = 4 / 3; // width / height
export const COLOURS = {
  black: "#1d2733",
  red: "#c62828",
  blue: "#1565c0",
  green: "#2e7d32",
  orange: "#e65100",
};
export const WIDTHS = { thin: 3, medium: 6, thick: 12, widest: 24 };
export const TOOLS = ["pen", "eraser"];
export const ERASER_FACTOR = 3; // an eraser is wider than the pen of the same width
export const LIMITS = {
  strokes: 1_000,
  pointsPerStroke: 2_000, // a whole stroke fits in one message (about 28 KB)
  pointsPerMessage: 500,
  points: 100_000, // the whole board
  forgotten: 5_000, // ids of removed strokes remembered, so a late sync does not bring them back
};
const ID = /^[A-Za-z0-9_-]{1,40}$/;
const WIDTH_VALUES = new Set(Object.values(WIDTHS));

// Rounded to 4 decimals: a tenth of a pixel on a 1,000-pixel board, and short on the wire.
export function normalise(value) {
  return Math.round(Math.min(1, Math.max(0, value)) * 10_000) / 10_000;
}

function points(p, most) {
  if (!Array.isArray(p) || p.length === 0 || p.length % 2 !== 0 || p.length / 2 > most) return null;
  for (const value of p) if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 1) return null;
  return p;
}

function style({ tool, color, width }) {
  if (!TOOLS.includes(tool) || !WIDTH_VALUES.has(width)) return null;
  if (tool === "pen" && !Object.hasOwn(COLOURS, color)) return null;
  return { tool, color: tool === "pen" ? color : null, width };
}

export class WhiteboardModel {
  ignored = 0; // messages refused: malformed, over a limit, or not the sender's to make
  #strokes = new Map(); // id → {id, by, tool, color, width, p}; insertion order = drawing order
  #points = 0;
  #forgotten = new Set();

  get strokes() {
    return [...this.#strokes.values()];
  }

  get size() {
    return this.#strokes.size;
  }

  has(id) {
    return this.#strokes.has(id);
  }

  // A message from peer `from` (or from ourselves, with our own id); returns whether the board changed.
  apply(from, message) {
    const changed = this.#apply(from, message);
    if (changed === null) this.ignored += 1;
    return Boolean(changed);
  }

  // true: changed, false: nothing to change (a duplicate), null: refused.
  #apply(from, message) {
    if (typeof from !== "string" || !message || message.app !== APP) return null;
    switch (message.t) {
      case "stroke":
        return this.#begin({ ...message, by: from });
      case "points": {
        const stroke = this.#strokes.get(message.id);
        if (!stroke) return this.#forgotten.has(message.id) ? false : null;
        if (stroke.by !== from) return null;
        const more = points(message.p, LIMITS.pointsPerMessage);
        if (!more || stroke.p.length / 2 + more.length / 2 > LIMITS.pointsPerStroke) return null;
        if (this.#points + more.length / 2 > LIMITS.points) return null;
        stroke.p.push(...more);
        this.#points += more.length / 2;
        return true;
      }
      case "undo": {
        const stroke = this.#strokes.get(message.id);
        if (!stroke) return this.#forgotten.has(message.id) ? false : null;
        if (stroke.by !== from) return null;
        this.#remove(stroke);
        return true;
      }
      case "clear": {
        const had = this.#strokes.size > 0;
        for (const stroke of this.strokes) this.#remove(stroke);
        return had;
      }
      case "sync": {
        if (!Array.isArray(message.strokes) || message.strokes.length > LIMITS.strokes) return null;
        let changed = false;
        for (const entry of message.strokes) {
          if (!entry || typeof entry.by !== "string" || !ID.test(entry.by)) continue;
          const known = this.#strokes.get(entry.id);
          // The author's own copy of a stroke is the whole of it: it may hold points that
          // another peer's copy had not yet received.
          if (known && known.by === from && entry.by === from && Array.isArray(entry.p) && entry.p.length > known.p.length) {
            const p = points(entry.p, LIMITS.pointsPerStroke);
            if (p && this.#points - known.p.length / 2 + p.length / 2 <= LIMITS.points) {
              this.#points += (p.length - known.p.length) / 2;
              known.p = [...p];
              changed = true;
            }
            continue;
          }
          if (this.#begin(entry)) changed = true;
        }
        return changed;
      }
      default:
        return null;
    }
  }

  #begin(entry) {
    const { id, by } = entry;
    if (typeof id !== "string" || !ID.test(id)) return null;
    if (this.#strokes.has(id) || this.#forgotten.has(id)) return false;
    const look = style(entry);
    const p = points(entry.p, LIMITS.pointsPerStroke);
    if (!look || !p) return null;
    if (this.#strokes.size >= LIMITS.strokes || this.#points + p.length / 2 > LIMITS.points) return null;
    this.#strokes.set(id, { id, by, ...look, p: [...p] });
    this.#points += p.length / 2;
    return true;
  }

  #remove(stroke) {
    this.#strokes.delete(stroke.id);
    this.#points -= stroke.p.length / 2;
    this.#forgotten.add(stroke.id);
    if (this.#forgotten.size > LIMITS.forgotten) this.#forgotten.delete(this.#forgotten.values().next().value);
  }

  // The board as it stands, for a newcomer: as few "sync" messages as fit in `maxChars` each.
  syncMessages(maxChars) {
    const messages = [];
    let batch = [];
    let size = 0;
    const overhead = JSON.stringify({ app: APP, t: "sync", strokes: [] }).length;
    for (const { id, by, tool, color, width, p } of this.#strokes.values()) {
      const entry = { id, by, tool, color, width, p };
      const length = JSON.stringify(entry).length + 1;
      if (batch.length && overhead + size + length > maxChars) {
        messages.push({ app: APP, t: "sync", strokes: batch });
        batch = [];
        size = 0;
      }
      batch.push(entry);
      size += length;
    }
    if (batch.length) messages.push({ app: APP, t: "sync", strokes: batch });
    return messages;
  }
}

// A stroke's points in pixels of a board `width` × `height`, and its line width in pixels.
export function toPixels(stroke, width, height) {
  const xy = [];
  for (let i = 0; i < stroke.p.length; i += 2) xy.push([stroke.p[i] * width, stroke.p[i + 1] * height]);
  const factor = stroke.tool === "eraser" ? ERASER_FACTOR : 1;
  return { xy, lineWidth: Math.max(1, (stroke.width * factor * width) / 1000) };
}

// A stroke id nobody else will choose: random, URL-safe.
export function newStrokeId(random = (n) => crypto.getRandomValues(new Uint8Array(n))) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  return [...random(16)].map((byte) => alphabet[byte & 63]).join("");
}
