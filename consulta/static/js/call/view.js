// The call screen: video tiles, the controls bar and room for the call's tools (tools.js).
// It only shows state and reports clicks; the call's logic (call.js) decides what the state is.

import { el } from "./dom.js";
import { makeTile, showMedia, showQuality } from "./tile.js";

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
  removed: "removed",
  error: "error",
};
const FINISHED = new Set(["ended", "left", "full", "removed", "error"]);

export class CallView {
  #labels;
  #container;
  #grid;
  #status;
  #notice;
  #top;
  #panels;
  #controls;
  #tiles = new Map(); // peerId → tile
  #local;
  #stream = null;
  #media = { audio: true, video: true };
  #sharing = false;
  #sinkId = null;
  #buttons = {};
  #onMediaChange;
  #onPin;
  #shown = new WeakMap(); // video → how many tracks it was given

  constructor({ container, labels, localStream = null, onMediaChange = () => {}, onLeave = () => {}, onPin = null }) {
    this.#labels = labels;
    this.#container = container;
    this.#onMediaChange = onMediaChange;
    this.#onPin = onPin;
    container.classList.add("call");
    container.dataset.layout = "grid";
    this.#top = el("div", { class: "call-top" });
    this.#status = el("p", { class: "call-status", role: "status" });
    this.#top.append(this.#status);
    this.#notice = el("p", { class: "call-notice", role: "status", hidden: "" });
    this.#grid = el("div", { class: "call-grid", "data-layout": "grid" });
    this.#local = makeTile(labels, { local: true });
    this.#grid.append(this.#local.root);
    this.#panels = el("div", { class: "call-panels" });
    const body = el("div", { class: "call-body" });
    body.append(this.#grid, this.#panels);
    const controls = (this.#controls = el("div", { class: "call-controls", role: "group" }));
    if (labels.controls) controls.setAttribute("aria-label", labels.controls);
    this.#buttons.audio = this.#button("microphone", labels.microphone, () => this.#toggle("audio"), true);
    this.#buttons.video = this.#button("camera", labels.camera, () => this.#toggle("video"), true);
    this.#buttons.audio.classList.add("call-device-toggle");
    this.#buttons.video.classList.add("call-device-toggle");
    this.#buttons.leave = this.#button("leave", labels.leave, () => onLeave(), null);
    this.#buttons.leave.classList.add("danger");
    controls.append(this.#buttons.audio, this.#buttons.video, this.#buttons.leave);
    container.append(this.#top, this.#notice, body, controls);
    this.setLocalStream(localStream);
    this.setCallState("connecting");
  }

  // While the screen is shared the others see it, whatever the camera button says.
  get mediaState() {
    return { audio: this.#media.audio, video: this.#media.video || this.#sharing };
  }

  get remotePeerIds() {
    return [...this.#tiles.keys()];
  }

  peerName(peerId) {
    return this.#tiles.get(peerId)?.name.textContent ?? "";
  }

  // Tools add their buttons before "Leave", their panels beside the tiles, lines at the top.
  addControl(node) {
    this.#controls.insertBefore(node, this.#buttons.leave);
  }

  addPanel(node) {
    this.#panels.append(node);
  }

  addTop(node) {
    this.#top.append(node);
  }

  notify(text) {
    this.#notice.textContent = text ?? "";
    this.#notice.hidden = !text;
  }

  // Keeps a switched-off microphone off across a device switch.
  setLocalStream(stream) {
    this.#stream = stream;
    this.#applyEnabled();
    this.#play(this.#local.video, stream);
    showMedia(this.#local, this.mediaState);
  }

  // After a track of the same stream was replaced: make sure the preview shows the new one.
  refreshLocal() {
    this.#local.video.srcObject = null;
    this.#shown.delete(this.#local.video);
    this.#play(this.#local.video, this.#stream);
  }

  setCallState(state) {
    this.#container.dataset.state = state;
    const key = CALL_STATES[state];
    this.#status.textContent = key ? (this.#labels[key] ?? "") : "";
    if (FINISHED.has(state)) for (const button of this.#controls.querySelectorAll("button")) button.disabled = true;
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
    showMedia(this.#remote(peerId), media);
  }

  setQuality(peerId, quality) {
    const tile = this.#tiles.get(peerId);
    if (tile) showQuality(tile, quality);
  }

  // The microphone switched by someone else's request (muted_by_host), as if by its button.
  setAudio(on) {
    if (this.#media.audio !== on) this.#toggle("audio");
  }

  setSharing(on) {
    this.#sharing = on;
    this.#local.root.dataset.sharing = on ? "on" : "off";
    this.#local.sharing.hidden = !on;
    this.#local.video.classList.toggle("call-mirror", !on); // a mirrored screen is unreadable
    this.#buttons.video.disabled = on; // the camera is not what is being sent
    this.setLocalStream(this.#stream);
    this.#onMediaChange(this.mediaState);
  }

  // mode "grid" or "speaker"; featured: the peer shown large in the speaker layout.
  setLayout(mode, featured) {
    this.#container.dataset.layout = mode;
    this.#grid.dataset.layout = mode;
    for (const [peerId, tile] of this.#tiles) tile.root.toggleAttribute("data-featured", mode === "speaker" && peerId === featured);
    this.#local.root.toggleAttribute("data-featured", mode === "speaker" && !this.#tiles.has(featured));
  }

  setPinned(pinned) {
    for (const [peerId, tile] of this.#tiles) {
      tile.pin?.setAttribute("aria-pressed", String(peerId === pinned));
      tile.root.toggleAttribute("data-pinned", peerId === pinned);
    }
  }

  // The speaker (audio output) for every remote tile, now and later. Chromium and Edge only.
  setSpeaker(sinkId) {
    this.#sinkId = sinkId || "";
    return Promise.all([...this.#tiles.values()].map((tile) => this.#sink(tile.video)));
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
      const onPin = this.#onPin ? () => this.#onPin(peerId) : null;
      tile = makeTile(this.#labels, { local: false, onPin });
      tile.root.dataset.peerId = peerId;
      tile.video.dataset.peerId = peerId;
      this.#tiles.set(peerId, tile);
      this.#grid.append(tile.root);
      this.setPeerState(peerId, "new");
      if (this.#sinkId) this.#sink(tile.video);
      this.#count();
    }
    return tile;
  }

  #sink(video) {
    if (this.#sinkId === null || !("setSinkId" in video)) return Promise.resolve();
    return video.setSinkId(this.#sinkId).catch((error) => console.warn("CallView: cannot use that speaker", error));
  }

  #button(action, label, onClick, pressed) {
    const button = el("button", { type: "button", class: "call-button", "data-action": action }, label ?? "");
    if (pressed !== null) button.setAttribute("aria-pressed", String(pressed));
    button.addEventListener("click", onClick);
    return button;
  }

  #toggle(kind) {
    this.#media[kind] = !this.#media[kind];
    this.#applyEnabled();
    this.#buttons[kind].setAttribute("aria-pressed", String(this.#media[kind]));
    showMedia(this.#local, this.mediaState);
    this.#onMediaChange(this.mediaState);
  }

  #applyEnabled() {
    for (const track of this.#stream?.getTracks() ?? []) {
      track.enabled = track.kind === "video" && this.#sharing ? true : (this.#media[track.kind] ?? true);
    }
  }

  #play(video, stream) {
    const tracks = stream ? stream.getTracks().length : 0;
    // Nothing until there is a track (no camera, or not yet): a <video> given a stream without
    // tracks waits for data that never comes, and holds up the page's load event meanwhile.
    const source = tracks ? stream : null;
    // A track added to the stream already shown (audio, then video) needs a reload to be sure it plays.
    if (video.srcObject === source && this.#shown.get(video) === tracks) return;
    this.#shown.set(video, tracks);
    video.srcObject = source;
    // Autoplay may be refused until the person interacts; the next click or track retries.
    if (source) video.play().catch(() => {});
  }

  #count() {
    this.#grid.dataset.count = String(this.#tiles.size + 1);
  }
}
