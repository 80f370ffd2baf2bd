// Grid or speaker layout, local to this browser. In the speaker layout one person is large:
// the one pinned here, else whoever is speaking, else the first of the others; the rest
// form a strip. Pinning someone switches to the speaker layout.

// Who speaks: the audio level the browser already measures for each incoming stream (the
// transport's audioLevel: RTCRtpReceiver.getSynchronizationSources, no AudioContext, no
// getStats), smoothed, and
// held for a moment so that a cough does not flip the screen.
const SPEAKER_POLL_MS = 500;
const SPEAKING_LEVEL = 0.02; // audioLevel is 0..1, linear; quiet rooms stay well below
const SWITCH_AFTER_POLLS = 2; // the new loudest must stay loudest for about a second
const SMOOTHING = 0.5;

export class ActiveSpeaker {
  #transport;
  #onChange;
  #levels = new Map(); // peerId → smoothed level
  #current = null;
  #candidate = null;
  #streak = 0;
  #timer = null;

  // transport: peerIds and audioLevel(peerId) (transport.js); onChange(peerId).
  constructor({ transport, onChange }) {
    this.#transport = transport;
    this.#onChange = onChange;
  }

  get current() {
    return this.#current;
  }

  start() {
    this.#timer ??= setInterval(() => this.#poll(), SPEAKER_POLL_MS);
  }

  stop() {
    clearInterval(this.#timer);
    this.#timer = null;
  }

  forget(peerId) {
    this.#levels.delete(peerId);
    if (this.#current === peerId) this.#current = null;
  }

  #poll() {
    let loudest = null;
    let loudestLevel = SPEAKING_LEVEL;
    const transport = this.#transport;
    for (const peerId of transport.peerIds) {
      const level = transport.audioLevel(peerId);
      const smoothed = SMOOTHING * (this.#levels.get(peerId) ?? 0) + (1 - SMOOTHING) * level;
      this.#levels.set(peerId, smoothed);
      if (smoothed > loudestLevel) [loudest, loudestLevel] = [peerId, smoothed];
    }
    // Silence keeps the last speaker large.
    if (loudest === null || loudest === this.#current) {
      this.#streak = 0;
      return;
    }
    this.#streak = loudest === this.#candidate ? this.#streak + 1 : 1;
    this.#candidate = loudest;
    if (this.#streak >= SWITCH_AFTER_POLLS || this.#current === null) {
      this.#current = loudest;
      this.#streak = 0;
      this.#onChange(loudest);
    }
  }
}

// Until the person chooses (the layout button, or pinning someone), the layout follows the
// call's size: a call of two is the speaker layout (the other large, one's own picture small
// in a corner), from three on the grid.
export class Layout {
  #view;
  #mode = null; // null: not chosen, see `mode`
  #pinned = null;
  #speaker = null;
  #onChange;

  constructor({ view, onChange = () => {} }) {
    this.#view = view;
    this.#onChange = onChange;
  }

  get mode() {
    return this.#mode ?? (this.#view.remotePeerIds.length <= 1 ? "speaker" : "grid");
  }

  get pinned() {
    return this.#pinned;
  }

  get featured() {
    const others = this.#view.remotePeerIds;
    for (const candidate of [this.#pinned, this.#speaker]) if (others.includes(candidate)) return candidate;
    return others[0] ?? null; // null: one's own tile, alone in the call
  }

  setMode(mode) {
    this.#mode = mode;
    this.#show();
  }

  toggleMode() {
    this.setMode(this.mode === "grid" ? "speaker" : "grid");
  }

  togglePin(peerId) {
    this.#pinned = this.#pinned === peerId ? null : peerId;
    if (this.#pinned) this.#mode = "speaker";
    this.#show();
  }

  setSpeaker(peerId) {
    this.#speaker = peerId;
    if (this.mode === "speaker" && !this.#pinned) this.#show();
  }

  // A tile came or went: who is large may change.
  refresh() {
    if (this.#pinned && !this.#view.remotePeerIds.includes(this.#pinned)) this.#pinned = null;
    this.#show();
  }

  #show() {
    this.#view.setLayout(this.mode, this.featured);
    this.#view.setPinned(this.#pinned);
    this.#onChange(this);
  }
}
