// The call screen: video tiles, the controls bar and room for the call's tools (tools.js).
// It only shows state and reports clicks; the call's logic (call.js) decides what the state is.
//
// While in a call it fills the viewport over the page (call.css: `.call` is fixed, the page
// stays in the DOM behind it), unless an ancestor has `data-call-inline` (a test page with
// several calls side by side). Inside: the stage (tiles, with the status line over its top),
// beside it (over its lower part on a phone) the one open panel, below it the controls bar.
// A container with `data-call-heading="…"` gets a visually hidden level-one heading.

import { el, ownText } from "./dom.js";
import { icon } from "./icons.js";
import { PictureInPicture } from "./pip.js";
import { CallShortcuts } from "./shortcuts.js";
import { gridShape } from "./stage.js";
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
// Every control of the bar: the call-button look, the icon of its data-action (prepended,
// aria-hidden: the name stays its text) and that text as a tooltip, for when the bar shows
// icons only (a phone).
function decorate(node) {
  const target = node.matches?.("[data-action]") ? node : node.querySelector?.("[data-action]");
  if (!target) return;
  if (target.localName === "button") target.classList.add("call-button");
  if (!target.querySelector(":scope > .call-icon")) {
    const drawing = icon(target.dataset.action);
    if (drawing) target.prepend(drawing);
  }
  if (!target.title) target.title = ownText(target);
}

export class CallView {
  #labels;
  #container;
  #scene;
  #grid;
  #status;
  #notice;
  #top;
  #panels;
  #controls;
  #tools;
  #tiles = new Map(); // peerId → tile
  #local;
  #pip;
  #stream = null;
  #media = { audio: true, video: true };
  #sharing = false;
  #sinkId = null;
  #buttons = {};
  #onMediaChange;
  #onPin;
  #shown = new WeakMap(); // video → how many tracks it was given
  #inline;
  #size = null; // the stage's {width, height}
  #controlsFit = null; // what the controls bar was measured at
  #fitQueued = false;
  #resize = null;
  #panelWatch = null;
  #shortcuts;
  #listening = false;
  #onKey = (event) => this.#shortcuts.handle(event);
  #onFullscreen = () => this.#fullscreenChanged();

  constructor({ container, labels, localStream = null, onMediaChange = () => {}, onLeave = () => {}, onPin = null }) {
    this.#labels = labels;
    this.#container = container;
    this.#onMediaChange = onMediaChange;
    this.#onPin = onPin;
    this.#inline = Boolean(container.parentElement?.closest("[data-call-inline]"));
    container.classList.add("call");
    container.removeAttribute("data-finished");
    container.dataset.layout = "grid";
    let heading = null;
    if (container.dataset.callHeading) {
      heading = el("h1", { class: "visually-hidden", tabindex: "-1" }, container.dataset.callHeading);
      container.append(heading);
    }

    // The stage: the status line (and the tools' lines: the clock) over its top, the tiles.
    this.#top = el("div", { class: "call-top" });
    this.#status = el("p", { class: "call-status", role: "status" });
    this.#notice = el("p", { class: "call-notice", role: "status", hidden: "" });
    this.#top.append(this.#status, this.#notice);
    this.#grid = el("div", { class: "call-grid", "data-layout": "grid" });
    this.#local = makeTile(labels, { local: true });
    this.#local.video.addEventListener("resize", () => this.#localShape());
    let move = null;
    if (labels.move_picture) {
      move = this.#button("move", labels.move_picture, null, null);
      move.className = "call-pip-move";
      this.#local.root.append(move);
    }
    this.#grid.append(this.#local.root);
    this.#scene = el("div", { class: "call-scene" });
    this.#scene.append(this.#top, this.#grid);
    this.#pip = new PictureInPicture({ root: this.#local.root, bounds: this.#grid, button: move });
    this.#panels = el("div", { class: "call-panels" });
    this.#panels.addEventListener("keydown", (event) => this.#panelKey(event));
    const main = el("div", { class: "call-main" });
    main.append(this.#scene, this.#panels);

    // The controls bar: the tools scroll sideways if they must, "Leave" always in sight.
    const controls = (this.#controls = el("div", { class: "call-controls", role: "group" }));
    if (labels.controls) controls.setAttribute("aria-label", labels.controls);
    this.#tools = el("div", { class: "call-controls-tools" });
    this.#buttons.audio = this.#button("microphone", labels.microphone, () => this.#toggle("audio"), true);
    this.#buttons.video = this.#button("camera", labels.camera, () => this.#toggle("video"), true);
    this.#buttons.audio.classList.add("call-device-toggle");
    this.#buttons.video.classList.add("call-device-toggle");
    this.#tools.append(this.#buttons.audio, this.#buttons.video);
    if (labels.fullscreen && document.fullscreenEnabled && typeof container.requestFullscreen === "function") {
      this.#buttons.fullscreen = this.#button("fullscreen", labels.fullscreen, () => this.#toggleFullscreen(), false);
      this.#tools.append(this.#buttons.fullscreen);
    }
    this.#buttons.leave = this.#button("leave", labels.leave, () => onLeave(), null);
    this.#buttons.leave.classList.add("danger", "call-leave");
    controls.append(this.#tools, this.#buttons.leave);
    container.append(main, controls);
    this.#shortcuts = new CallShortcuts({
      container,
      buttons: { audio: this.#buttons.audio, video: this.#buttons.video, leave: this.#buttons.leave },
      label: labels.shortcuts,
      inline: this.#inline,
    });

    this.#listen(true);
    this.#resize = new ResizeObserver((entries) => {
      for (const entry of entries) {
        if (entry.target !== this.#scene) continue;
        const { width, height } = entry.contentRect;
        this.#size = { width, height };
        this.#fit();
      }
      this.#fitControls();
    });
    this.#resize.observe(this.#scene);
    this.#resize.observe(this.#controls);
    this.#panelWatch = new MutationObserver((records) => this.#panelsChanged(records));
    this.#panelWatch.observe(this.#panels, { attributes: true, attributeFilter: ["hidden"], subtree: true });

    this.setLocalStream(localStream);
    this.setCallState("connecting");
    this.#arrange();
    // The button that started the call is gone (the lobby, the waiting screen): focus moves
    // here, at the next frame: asking whether it is visible now would force a layout while
    // the call's first messages wait.
    requestAnimationFrame(() => this.#takeFocus(heading));
  }

  #takeFocus(heading) {
    const active = document.activeElement;
    const lost = !active || active === document.body || (active.checkVisibility?.() === false);
    if (this.#inline || !lost || !this.#container.isConnected) return;
    if (!heading && !this.#container.hasAttribute("tabindex")) this.#container.tabIndex = -1;
    (heading ?? this.#container).focus({ preventScroll: true });
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

  // Tools add their buttons before "Full screen" and "Leave" (each with the icon of its
  // data-action), their panels beside the stage, lines at the top.
  addControl(node) {
    decorate(node);
    this.#tools.insertBefore(node, this.#buttons.fullscreen ?? null);
    this.#fitControlsSoon();
  }

  addPanel(node) {
    this.#panels.append(node);
    // The shortcuts' switch goes with the devices (the settings of this call screen).
    if (node.classList?.contains("call-devices")) node.append(this.#shortcuts.switchField());
  }

  addTop(node) {
    this.#top.insertBefore(node, this.#notice);
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
    if (FINISHED.has(state)) {
      for (const button of this.#controls.querySelectorAll("button")) button.disabled = true;
      // Back into the page, which says what now; only the status line stays.
      this.#container.dataset.finished = "";
      this.#listen(false);
    }
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

  // mode "grid" or "speaker"; featured: the peer shown large in the speaker layout. In the
  // speaker layout of a call of two, one's own tile is the picture-in-picture.
  setLayout(mode, featured) {
    this.#container.dataset.layout = mode;
    this.#grid.dataset.layout = mode;
    for (const [peerId, tile] of this.#tiles) tile.root.toggleAttribute("data-featured", mode === "speaker" && peerId === featured);
    this.#local.root.toggleAttribute("data-featured", mode === "speaker" && !this.#tiles.has(featured));
    this.#arrange();
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
    this.#arrange();
  }

  destroy() {
    for (const id of [...this.#tiles.keys()]) this.removePeer(id);
    this.#local.video.srcObject = null;
    this.#listen(false);
    this.#resize?.disconnect();
    this.#panelWatch?.disconnect();
    this.#pip.destroy();
  }

  // --- Inside ------------------------------------------------------------------------------

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
      this.#arrange();
    }
    return tile;
  }

  #sink(video) {
    if (this.#sinkId === null || !("setSinkId" in video)) return Promise.resolve();
    return video.setSinkId(this.#sinkId).catch((error) => console.warn("CallView: cannot use that speaker", error));
  }

  // A control: icon, visible text (its accessible name), the text as tooltip too.
  // onClick null: someone else listens (the picture's move button).
  #button(action, label, onClick, pressed) {
    const button = el("button", { type: "button", class: "call-button", "data-action": action }, label ?? "");
    if (pressed !== null) button.setAttribute("aria-pressed", String(pressed));
    if (onClick) button.addEventListener("click", onClick);
    decorate(button);
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

  // --- The stage's layout --------------------------------------------------------------------

  // Who floats, who is in the strip: from the layout and the number of people.
  #arrange() {
    const count = this.#tiles.size + 1;
    this.#grid.dataset.count = String(count);
    const speaker = this.#grid.dataset.layout === "speaker";
    const pip = speaker && count === 2 && !this.#local.root.hasAttribute("data-featured");
    this.#local.root.toggleAttribute("data-pip", pip);
    this.#pip.setEnabled(pip);
    this.#grid.toggleAttribute("data-strip", speaker && count > 2);
    this.#grid.style.setProperty("--call-strip", String(Math.max(1, count - 1)));
    this.#fit();
  }

  // The grid's columns and rows for the stage's size (stage.js gridShape).
  #fit() {
    // Not measured before the stage's first layout: the ResizeObserver hands the size over
    // before the first paint, without forcing a layout while the call is being set up.
    const size = this.#size;
    if (!size) return;
    const { columns, rows } = gridShape(this.#tiles.size + 1, size.width, size.height);
    this.#grid.style.setProperty("--call-columns", String(columns));
    this.#grid.style.setProperty("--call-rows", String(rows));
    this.#grid.dataset.orientation = size.width >= size.height ? "landscape" : "portrait";
  }

  // Words under the icons while they all fit; icons only (the words stay names and tooltips)
  // when they do not, or on a short screen (a phone on its side); beyond that the tools scroll.
  #fitControls() {
    const controls = this.#controls;
    const width = controls.clientWidth;
    const short = window.matchMedia("(max-height: 32rem)").matches;
    if (width === this.#controlsFit?.width && short === this.#controlsFit?.short && !this.#controlsFit?.stale) return;
    controls.removeAttribute("data-compact");
    const compact = short || this.#tools.scrollWidth > this.#tools.clientWidth + 1;
    controls.toggleAttribute("data-compact", compact);
    this.#controlsFit = { width, short, stale: false };
  }

  // Controls come in a burst (the tools, the apps, the page's own): measured once after it.
  #fitControlsSoon() {
    if (this.#controlsFit) this.#controlsFit.stale = true;
    if (this.#fitQueued) return;
    this.#fitQueued = true;
    requestAnimationFrame(() => {
      this.#fitQueued = false;
      this.#fitControls();
    });
  }

  // The picture-in-picture takes the camera's shape (4:3, 16:9, upright on a phone).
  #localShape() {
    const { videoWidth: width, videoHeight: height } = this.#local.video;
    if (width && height) this.#local.root.style.setProperty("--call-local-aspect", `${width} / ${height}`);
  }

  // --- Panels: one open at a time ------------------------------------------------------------

  #panelsChanged(records) {
    const opened = records
      .map((record) => record.target)
      .filter((node) => node.parentElement === this.#panels && !node.hidden);
    const newest = opened.at(-1);
    if (!newest) return;
    for (const panel of this.#panels.children) if (panel !== newest && !panel.hidden) this.#closePanel(panel);
  }

  #toggleOf(panel) {
    if (!panel.id) return null;
    const selector = `[aria-controls="${CSS.escape(panel.id)}"]`;
    return this.#container.querySelector(selector) ?? document.querySelector(selector);
  }

  // Through its own button, so that its aria-expanded (and what it does on closing) stays right.
  #closePanel(panel) {
    const toggle = this.#toggleOf(panel);
    if (toggle?.getAttribute("aria-expanded") === "true" && !toggle.disabled) toggle.click();
    if (!panel.hidden) panel.hidden = true;
  }

  // Escape closes the panel one is in, and goes back to its button.
  #panelKey(event) {
    if (event.key !== "Escape" || event.defaultPrevented) return;
    const panel = [...this.#panels.children].find((node) => node.contains(event.target));
    if (!panel || panel.hidden) return;
    event.preventDefault();
    const toggle = this.#toggleOf(panel);
    this.#closePanel(panel);
    toggle?.focus();
  }

  // --- Listening to the page, and full screen ---------------------------------------------------

  #listen(on) {
    if (on === this.#listening) return;
    this.#listening = on;
    const method = on ? "addEventListener" : "removeEventListener";
    document[method]("keydown", this.#onKey);
    document[method]("fullscreenchange", this.#onFullscreen);
    if (!on && document.fullscreenElement === this.#container) document.exitFullscreen().catch(() => {});
  }

  #toggleFullscreen() {
    if (document.fullscreenElement === this.#container) {
      document.exitFullscreen().catch(() => {});
    } else {
      this.#container.requestFullscreen().catch((error) => console.warn("CallView: no full screen", error));
    }
  }

  #fullscreenChanged() {
    this.#buttons.fullscreen?.setAttribute("aria-pressed", String(document.fullscreenElement === this.#container));
  }
}
