// The tools of the call screen, the same for every call (waiting area or room): layout and
// pinning, device switching, screen sharing, chat, the participant list with the call
// manager's actions, the call's duration, connection quality and bitrate adaptation, and the
// apps (files and whiteboard, apps.js). call.js feeds it the call's events; it talks to the
// server only through `send`, and to the others only through the transport (transport.js).

import { CallApps } from "./apps.js";
import { BitrateControl } from "./bitrate.js";
import { ChatPanel } from "./chat.js";
import { DeviceMenu } from "./device-menu.js";
import { button, disclosure, el, format, plural } from "./dom.js";
import { ActiveSpeaker, Layout } from "./layout.js";
import { canShareScreen, LocalMedia } from "./local-media.js";
import { QualityMonitor } from "./quality.js";
import { CallClock, Roster } from "./roster.js";

// How often the summary of our connections goes to the server (`quality`, docs/signalling.md);
// once more as we leave.
const QUALITY_SUMMARY_MS = 15_000;

export class CallTools {
  #L;
  #view;
  #mesh;
  #send;
  #media;
  #layout;
  #speaker;
  #quality;
  #bitrate;
  #chat;
  #roster;
  #devices;
  #clock;
  #apps;
  #buttons = {};
  #closed = false;
  #joined = false;
  #summaryTimer = null;
  #summarySent = false;

  // `mesh`: the call's transport (transport.js). `selfRole`: ours ("staff", "patient",
  // "guest") if the page knows it, for the apps; else a call manager counts as staff.
  constructor({
    view,
    mesh,
    send,
    labels,
    localStream,
    canManage = false,
    holdRoles = [],
    onHold = null,
    speakerId = null,
    selfRole = null,
  }) {
    const L = (this.#L = labels);
    const transport = mesh;
    this.#view = view;
    this.#mesh = mesh;
    this.#send = send;
    this.#bitrate = new BitrateControl({
      transport,
      state: () => ({ people: transport.peerIds.length + 1, sharing: this.#media.sharing }),
    });
    this.#media = new LocalMedia({ stream: localStream, mesh, view, onChange: () => this.#mediaChanged() });
    this.#layout = new Layout({ view, onChange: (layout) => this.#layoutChanged(layout) });
    this.#speaker = new ActiveSpeaker({ transport, onChange: (peerId) => this.#layout.setSpeaker(peerId) });
    this.#quality = new QualityMonitor({ transport, onQuality: (peerId, q) => this.#showQuality(peerId, q) });
    this.#summaryTimer = setInterval(() => this.sendQuality(), QUALITY_SUMMARY_MS);
    this.#clock = new CallClock(L);
    view.addTop(this.#clock.root);

    this.#chat = new ChatPanel({ labels: L, send: (text) => send({ type: "chat", text }), onUnread: (n) => this.#unread(n) });
    this.#roster = new Roster({
      labels: L,
      canManage,
      holdRoles,
      actions: {
        mute: (id) => this.#askToMute(id),
        // A page may hold someone its own way (a waiting-area caller: the HTTP hold action).
        hold: (id, role) => (onHold ? onHold({ peerId: id, role, name: this.#view.peerName(id) }) : this.#hold(id)),
        disconnect: (id) => this.#disconnect(id),
        pin: (id) => this.pin(id),
      },
    });
    this.#devices = new DeviceMenu({ labels: L, media: this.#media, view, speakerId, onError: (text) => view.notify(text) });
    if (speakerId) view.setSpeaker(speakerId);

    const share = (this.#buttons.share = button(L.share_screen, () => this.#toggleShare(), {
      class: "call-button",
      "data-action": "share",
      "aria-pressed": "false",
    }));
    share.hidden = !canShareScreen();
    this.#buttons.layout = button(L.speaker_layout, () => this.#layout.toggleMode(), {
      class: "call-button",
      "data-action": "layout",
      "aria-pressed": "false",
    });
    const chat = disclosure(L.chat, this.#chat.root, (open) => this.#chat.setVisible(open));
    this.#buttons.unread = el("span", { class: "call-unread", hidden: "" });
    chat.toggle.append(this.#buttons.unread);
    chat.toggle.dataset.action = "chat";
    const roster = disclosure(L.participants, this.#roster.root);
    roster.toggle.dataset.action = "participants";
    const devices = disclosure(L.devices, this.#devices.root, (open) => open && this.#devices.refresh());
    devices.toggle.dataset.action = "devices";
    for (const control of [share, this.#buttons.layout, chat.toggle, roster.toggle, devices.toggle]) view.addControl(control);
    for (const panel of [this.#chat.root, this.#roster.root, this.#devices.root]) view.addPanel(panel);
    // Files and whiteboard: their buttons after these, their panels after these.
    this.#apps = new CallApps({ transport, view, labels: L, send, canManage, selfRole });
  }

  // --- The call's events, from call.js -----------------------------------------------------

  joined(welcome) {
    const { peer_id: self, peers } = welcome;
    for (const peer of peers) if (peer.peer_id !== self) this.#roster.upsert(peer);
    this.#roster.setClient(null, welcome.client ?? null);
    this.#joined = true;
    this.#apps.joined(welcome);
    this.#chat.setEnabled(true);
    this.#clock.start();
    this.#quality.start();
    this.#speaker.start();
    this.#layout.refresh();
    this.#adaptBitrate();
  }

  peerJoined(peer) {
    this.#roster.upsert(peer);
    this.#apps.peerJoined(peer);
    this.#layout.refresh();
    this.#adaptBitrate();
  }

  peerLeft(peerId) {
    this.#roster.remove(peerId);
    this.#apps.peerLeft(peerId);
    this.#speaker.forget(peerId);
    this.#layout.refresh();
    this.#adaptBitrate();
  }

  peerState(peerId, state) {
    this.#quality.peerState(peerId, state);
    if (state !== "connected") this.#roster.setConnection(peerId, null);
    // A connection's first negotiation creates the encodings the table limits.
    if (state === "connected") this.#adaptBitrate();
  }

  mediaState(peerId, media) {
    this.#roster.setMedia(peerId, media);
  }

  selfMedia(media) {
    this.#roster.setMedia(null, media);
  }

  // The camera and microphone, ready after the call began (see startCall's localStream).
  addTracks(tracks) {
    return this.#media.addTracks(tracks);
  }

  // Messages of the tools; returns whether it was one.
  receive(message) {
    switch (message.type) {
      case "chat":
        this.#chat.add(message, { mine: message.from === this.#mesh.peerId });
        return true;
      case "muted_by_host":
        // Only off: nobody can switch another's microphone on. The button still works.
        this.#view.setAudio(false);
        this.#view.notify(format(this.#L.muted_by_host, { name: message.by }));
        return true;
      case "apps":
        return this.#apps.receive(message);
      default:
        return false;
    }
  }

  pin(peerId) {
    this.#layout.togglePin(peerId);
  }

  // Our connections' summary so far, to the server (every QUALITY_SUMMARY_MS, and as we leave).
  sendQuality() {
    if (this.#closed || !this.#joined) return;
    this.#summarySent = true;
    this.#send(this.#quality.summary.summary());
  }

  // Nothing of the call outlives it: the chat's lines go with it.
  close() {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#summaryTimer);
    this.#media.close();
    this.#bitrate.stop();
    this.#quality.stop();
    this.#speaker.stop();
    this.#clock.stop();
    this.#devices.close();
    this.#apps.close();
    this.#chat.clear();
    this.#chat.setEnabled(false);
    for (const button of this.#roster.root.querySelectorAll("button")) button.disabled = true;
  }

  // --- Inside ------------------------------------------------------------------------------

  #adaptBitrate() {
    if (!this.#closed) this.#bitrate.update();
  }

  async #toggleShare() {
    const button = this.#buttons.share;
    try {
      if (this.#media.sharing) await this.#media.stopShare();
      else await this.#media.startShare();
      this.#view.notify(null);
    } catch (error) {
      // Closing the screen picker is a choice, not a failure.
      if (error?.name !== "NotAllowedError" && error?.name !== "AbortError") {
        console.warn("CallTools: cannot share the screen", error);
        this.#view.notify(this.#L.share_failed);
      }
    }
    button.setAttribute("aria-pressed", String(this.#media.sharing));
  }

  #mediaChanged() {
    this.#buttons.share.setAttribute("aria-pressed", String(this.#media.sharing));
    this.#adaptBitrate(); // a shared screen keeps its resolution
  }

  #layoutChanged(layout) {
    this.#buttons.layout?.setAttribute("aria-pressed", String(layout.mode === "speaker"));
    this.#roster?.setPinned(layout.pinned);
  }

  #unread(count) {
    const badge = this.#buttons.unread;
    badge.hidden = count === 0;
    // The leading space keeps the button's accessible name readable: "Chat 2 new".
    badge.textContent = count ? ` ${format(plural(this.#L.chat_unread, count), { n: count })}` : "";
  }

  #showQuality(peerId, reading) {
    const { level, rttMs, lossPercent } = reading;
    this.#roster.setConnection(peerId, reading);
    // The first measured round trip goes to the server at once: a call ended by the other side
    // (call_ended) sends no last summary, and a short call may end before the first 15 s.
    if (rttMs !== null && !this.#summarySent) queueMicrotask(() => this.sendQuality());
    if (!level) return this.#view.setQuality(peerId, null);
    const detail = format(this.#L.quality_detail, {
      rtt: rttMs ?? "–",
      loss: lossPercent === null ? "–" : lossPercent.toFixed(1),
    });
    this.#view.setQuality(peerId, { level, text: this.#L[`quality_${level}`] ?? "", detail });
  }

  #askToMute(peerId) {
    this.#send({ type: "manage", action: "mute", to: peerId });
    this.#view.notify(format(this.#L.asked_to_mute, { name: this.#view.peerName(peerId) }));
  }

  #hold(peerId) {
    this.#send({ type: "manage", action: "hold", to: peerId });
  }

  #disconnect(peerId) {
    if (!confirm(format(this.#L.disconnect_confirm, { name: this.#view.peerName(peerId) }))) return;
    this.#send({ type: "manage", action: "disconnect", to: peerId });
  }
}
