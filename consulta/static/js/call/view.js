// The call screen: video tiles and the controls bar. It only shows state and reports
// clicks; the call's logic (call.js) decides what the state is.

// RTCPeerConnection.connectionState → the badge's label key (also the tile's data-state).
const PEER_STATES = {
  new: "connecting",
  connecting: "connecting",
  connected: "connected",
  disconnected: "reconnecting",
  failed: "failed",
};
// Call states (the container's data-state) → the label announced in the status line.
const CALL_STATES = {
  connecting: "connecting",
  waiting: "waiting",
  in_call: null,
  reconnecting: "reconnecting",
  ended: "ended",
  left: "left",
  full: "call_full",
  error: "error",
};
const FINISHED = new Set(["ended", "left", "full", "error"]);

function el(tag, attributes = {}, text = null) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== null) node.textContent = text; // names come from people: never innerHTML
  return node;
}

export class CallView {
  #labels;
  #container;
  #grid;
  #status;
  #tiles = new Map(); // peerId → tile
  #local;
  #stream = null;
  #media = { audio: true, video: true };
  #buttons = {};
  #onMediaChange;
  #shown = new WeakMap(); // video → how many tracks it was given

  constructor({ container, labels, localStream = null, onMediaChange = () => {}, onLeave = () => {} }) {
    this.#labels = labels;
    this.#container = container;
    this.#onMediaChange = onMediaChange;
    container.classList.add("call");
    this.#status = el("p", { class: "call-status", role: "status" });
    this.#grid = el("div", { class: "call-grid" });
    this.#local = this.#tile(labels.you ?? "", true);
    this.#grid.append(this.#local.root);
    const controls = el("div", { class: "call-controls", role: "group" });
    if (labels.controls) controls.setAttribute("aria-label", labels.controls);
    this.#buttons.audio = this.#button("microphone", labels.microphone, () => this.#toggle("audio"), true);
    this.#buttons.video = this.#button("camera", labels.camera, () => this.#toggle("video"), true);
    this.#buttons.leave = this.#button("leave", labels.leave, () => onLeave(), null);
    this.#buttons.leave.classList.add("danger");
    controls.append(this.#buttons.audio, this.#buttons.video, this.#buttons.leave);
    container.append(this.#status, this.#grid, controls);
    this.setLocalStream(localStream);
    this.setCallState("connecting");
  }

  get mediaState() {
    return { ...this.#media };
  }

  // Keeps a switched-off microphone off across a device switch.
  setLocalStream(stream) {
    this.#stream = stream;
    for (const track of stream?.getTracks() ?? []) track.enabled = this.#media[track.kind] ?? true;
    this.#play(this.#local.video, stream);
    this.#showMedia(this.#local, this.#media);
  }

  setCallState(state) {
    this.#container.dataset.state = state;
    const key = CALL_STATES[state];
    this.#status.textContent = key ? (this.#labels[key] ?? "") : "";
    if (FINISHED.has(state)) for (const button of Object.values(this.#buttons)) button.disabled = true;
  }

  upsertPeer({ peer_id: peerId, name }) {
    const tile = this.#remote(peerId);
    if (name) tile.name.textContent = name;
  }

  setStream(peerId, stream) {
    this.#play(this.#remote(peerId).video, stream);
  }

  setPeerState(peerId, connectionState) {
    const state = PEER_STATES[connectionState];
    if (!state) return; // "closed" is followed by removePeer
    const tile = this.#remote(peerId);
    tile.root.dataset.state = state;
    tile.badge.textContent = this.#labels[state] ?? "";
  }

  setMediaState(peerId, media) {
    this.#showMedia(this.#remote(peerId), media);
  }

  removePeer(peerId) {
    const tile = this.#tiles.get(peerId);
    if (!tile) return;
    tile.video.srcObject = null;
    tile.root.remove();
    this.#tiles.delete(peerId);
    this.#count();
  }

  destroy() {
    for (const id of [...this.#tiles.keys()]) this.removePeer(id);
    this.#local.video.srcObject = null;
  }

  #remote(peerId) {
    let tile = this.#tiles.get(peerId);
    if (!tile) {
      tile = this.#tile(this.#labels.participant ?? "", false);
      tile.root.dataset.peerId = peerId;
      tile.video.dataset.peerId = peerId;
      this.#tiles.set(peerId, tile);
      this.#grid.append(tile.root);
      this.setPeerState(peerId, "new");
      this.#count();
    }
    return tile;
  }

  #tile(name, local) {
    const root = el("figure", { class: local ? "call-tile call-tile-local" : "call-tile" });
    const video = el("video", { class: local ? "call-video call-mirror" : "call-video" });
    video.autoplay = true;
    video.playsInline = true;
    // One's own microphone played back would echo; others' audio plays from their tile.
    video.muted = local;
    const caption = el("figcaption", { class: "call-caption" });
    const tile = {
      root,
      video,
      name: el("span", { class: "call-name" }, name),
      badge: local ? null : el("span", { class: "call-badge" }),
      audioOff: this.#indicator("audio", this.#labels.microphone_off),
      videoOff: this.#indicator("video", this.#labels.camera_off),
    };
    caption.append(...[tile.name, tile.badge, tile.audioOff, tile.videoOff].filter(Boolean));
    root.append(video, caption);
    return tile;
  }

  #indicator(kind, label) {
    return el("span", { class: "call-indicator", "data-indicator": kind, hidden: "" }, label ?? "");
  }

  #showMedia(tile, { audio, video }) {
    tile.root.dataset.audio = audio ? "on" : "off";
    tile.root.dataset.video = video ? "on" : "off";
    tile.audioOff.hidden = audio;
    tile.videoOff.hidden = video;
  }

  #button(action, label, onClick, pressed) {
    const button = el("button", { type: "button", class: "call-button", "data-action": action }, label ?? "");
    if (pressed !== null) button.setAttribute("aria-pressed", String(pressed));
    button.addEventListener("click", onClick);
    return button;
  }

  #toggle(kind) {
    this.#media[kind] = !this.#media[kind];
    for (const track of this.#stream?.getTracks() ?? []) if (track.kind === kind) track.enabled = this.#media[kind];
    this.#buttons[kind].setAttribute("aria-pressed", String(this.#media[kind]));
    this.#showMedia(this.#local, this.#media);
    this.#onMediaChange(this.mediaState);
  }

  #play(video, stream) {
    const tracks = stream ? stream.getTracks().length : 0;
    // A track added to the stream already shown (audio, then video) needs a reload to be sure it plays.
    if (video.srcObject === stream && this.#shown.get(video) === tracks) return;
    this.#shown.set(video, tracks);
    video.srcObject = stream;
    // Autoplay may be refused until the person interacts; the next click or track retries.
    if (stream) video.play().catch(() => {});
  }

  #count() {
    this.#grid.dataset.count = String(this.#tiles.size + 1);
  }
}
