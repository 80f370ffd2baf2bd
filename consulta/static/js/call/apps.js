// The consultation's apps: sharing a file (files.js) and the whiteboard (whiteboard.js), over
// the transport's data channel (transport.js), never through the server. CallTools makes one
// CallApps and feeds it the call's events; it adds its own buttons and panels to the view.
//
// A host (the call manager) may make the apps view-only for guests and patients: the server
// relays {"type": "apps", "view_only", "by"} to everyone and says it in the welcome
// (`apps_view_only`). Then guests and patients see the board and receive files, but cannot
// draw or send; and every browser also ignores strokes and files from them (never trusting
// the sender to have obeyed).

import { disclosure, el, format, plural, uniqueId } from "./dom.js";
import { APP as FILES_APP, maxBytes } from "./file-chunks.js";
import { FilesPanel } from "./files.js";
import { APP as BOARD_APP } from "./whiteboard-model.js";
import { Whiteboard } from "./whiteboard.js";

const noop = () => {};

export class CallApps {
  #L;
  #transport;
  #view;
  #send;
  #canManage;
  #selfStaff;
  #roles = new Map(); // peerId → role ("staff", "patient", "guest"), from the server
  #names = new Map();
  #joined = false;
  #viewOnly = false;
  #files;
  #board;
  #toggles = []; // the hosts' view-only checkboxes, one in each panel
  #notes = [];
  #unread = 0;
  #filesToggle;
  #badge;
  #closed = false;

  // transport: the call's (transport.js). send(message): to the server. canManage: a host's
  // call (they may switch view-only). selfRole: ours, if the page knows it; else a host is
  // "staff" and anyone else is not.
  constructor({ transport, view, labels, send, canManage = false, selfRole = null, debug = true }) {
    const L = (this.#L = labels);
    this.#transport = transport;
    this.#view = view;
    this.#send = send;
    this.#canManage = canManage;
    this.#selfStaff = selfRole ? selfRole === "staff" : canManage;
    const allowedFrom = (peerId) => this.#allowedFrom(peerId);
    this.#files = new FilesPanel({
      transport,
      labels: L,
      limitBytes: maxBytes(L.file_max_mb),
      peerName: (peerId) => this.#names.get(peerId) ?? view.peerName?.(peerId) ?? "",
      allowedFrom,
      onNews: () => this.#news(),
    });
    this.#board = new Whiteboard({ transport, labels: L, allowedFrom });
    for (const app of [this.#files, this.#board]) this.#decorate(app.root);

    const files = disclosure(L.files, this.#files.root, (open) => open && this.#read());
    files.toggle.dataset.action = "files";
    this.#badge = el("span", { class: "call-unread", hidden: "" });
    files.toggle.append(this.#badge);
    this.#filesToggle = files;
    const board = disclosure(L.whiteboard, this.#board.root, (open) => open && this.#board.shown());
    board.toggle.dataset.action = "whiteboard";
    view.addControl(files.toggle);
    view.addControl(board.toggle);
    view.addPanel(this.#files.root);
    view.addPanel(this.#board.root);

    transport.onData = (peerId, message) => this.#data(peerId, message);
    transport.onDataOpen = (peerId) => this.#board.sendBoardTo(peerId);
    transport.onDataClose = (peerId) => this.#files.peerGone(peerId);
    if (debug) this.#installDebugHook();
    this.#apply();
  }

  // --- The call's events (from CallTools) ----------------------------------------------------

  joined({ peer_id: self, peers, apps_view_only: viewOnly }) {
    this.#joined = true;
    for (const peer of peers) if (peer.peer_id !== self) this.#known(peer);
    this.#setViewOnly(Boolean(viewOnly), null);
    this.#peersChanged();
  }

  peerJoined(peer) {
    this.#known(peer);
    this.#peersChanged();
  }

  peerLeft(peerId) {
    this.#files.peerGone(peerId);
    this.#roles.delete(peerId);
    this.#names.delete(peerId);
    this.#peersChanged();
  }

  // The server's {"type": "apps", view_only, by}; returns whether it was one.
  receive(message) {
    if (message.type !== "apps") return false;
    this.#setViewOnly(Boolean(message.view_only), message.by ?? "");
    return true;
  }

  close() {
    if (this.#closed) return;
    this.#closed = true;
    const transport = this.#transport;
    transport.onData = transport.onDataOpen = transport.onDataClose = noop;
    this.#files.close();
    this.#board.close();
    for (const toggle of this.#toggles) toggle.disabled = true;
  }

  // --- Inside ----------------------------------------------------------------------------------

  #known({ peer_id: peerId, role, name }) {
    this.#roles.set(peerId, role);
    if (name) this.#names.set(peerId, name);
  }

  #peersChanged() {
    this.#files.setPeers([...this.#names].map(([peerId, name]) => ({ peerId, name })));
  }

  // Unknown peers count as guests: data may arrive before their peer_joined does.
  #allowedFrom(peerId) {
    return !this.#viewOnly || this.#roles.get(peerId) === "staff";
  }

  #data(peerId, message) {
    if (this.#closed) return;
    if (message.frame) return this.#files.receiveChunk(peerId, message.frame);
    if (message.app === FILES_APP) return this.#files.receive(peerId, message);
    if (message.app === BOARD_APP) return this.#board.receive(peerId, message);
  }

  #setViewOnly(viewOnly, by) {
    const changed = viewOnly !== this.#viewOnly;
    this.#viewOnly = viewOnly;
    this.#apply();
    if (changed && viewOnly) this.#files.refuseDisallowed();
    if (changed && by !== null) {
      this.#view.notify(format(viewOnly ? this.#L.apps_view_only_on : this.#L.apps_view_only_off, { name: by }));
    }
  }

  #apply() {
    const mayUse = this.#joined && !this.#closed && (!this.#viewOnly || this.#selfStaff);
    this.#files.setCanSend(mayUse);
    this.#board.setCanDraw(mayUse);
    for (const toggle of this.#toggles) {
      toggle.checked = this.#viewOnly;
      toggle.disabled = !this.#joined || this.#closed;
    }
    const note = this.#viewOnly ? (this.#selfStaff ? this.#L.apps_view_only_host_note : this.#L.apps_view_only_note) : "";
    for (const element of this.#notes) {
      element.textContent = note ?? "";
      element.hidden = !note;
    }
  }

  // Each panel: the host's view-only switch, and the note saying what it means now.
  #decorate(panel) {
    const heading = panel.querySelector("h2");
    const note = el("p", { class: "call-apps-note", hidden: "" });
    this.#notes.push(note);
    heading.after(note);
    if (!this.#canManage) return;
    const id = uniqueId("call-apps-view-only");
    const toggle = el("input", { type: "checkbox", id, "data-apps": "view-only" });
    toggle.addEventListener("change", () => this.#requestViewOnly(toggle.checked));
    this.#toggles.push(toggle);
    const wrapper = el("div", { class: "call-apps-host" });
    wrapper.append(toggle, el("label", { for: id }, this.#L.apps_view_only ?? ""));
    heading.after(wrapper);
  }

  #requestViewOnly(viewOnly) {
    this.#send({ type: "apps", view_only: viewOnly });
    this.#setViewOnly(viewOnly, null); // at once here; the server tells everyone else
  }

  #news() {
    if (this.#filesToggle.open) return;
    this.#unread += 1;
    this.#badge.hidden = false;
    this.#badge.textContent = ` ${format(plural(this.#L.chat_unread, this.#unread), { n: this.#unread })}`;
  }

  #read() {
    this.#unread = 0;
    this.#badge.hidden = true;
    this.#badge.textContent = "";
  }

  #installDebugHook() {
    const apps = this;
    const hook = Object.freeze({
      get viewOnly() {
        return apps.#viewOnly;
      },
      get board() {
        return apps.#board.snapshot;
      },
      get files() {
        return apps.#files.snapshot;
      },
    });
    Object.defineProperty(window, "__callApps", { value: hook, configurable: true, enumerable: false, writable: false });
  }
}
