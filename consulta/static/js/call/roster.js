// Who is in the call: names, roles, browser and system, microphone and camera, for each of the
// others the connection's figures (received and sent kbit/s, round trip, loss, direct or
// relayed: quality.js's readings, as text), and for account holders the call manager's actions
// on each of the others (ask to mute, put on hold, disconnect). Also the call's duration.

import { button, el, format, uniqueId } from "./dom.js";

const ROLE_LABELS = { patient: "role_patient", staff: "role_staff", guest: "role_guest" };

export class Roster {
  #labels;
  #canManage;
  #holdRoles;
  #actions;
  #list;
  #rows = new Map(); // peerId (null: oneself) → row

  // actions: {mute(peerId), hold(peerId, role), disconnect(peerId), pin(peerId)}
  // holdRoles: the roles an account holder may put on hold here (a room's guests; a waiting-area
  // call's patients); never the team.
  constructor({ labels, canManage = false, holdRoles = [], actions }) {
    this.#labels = labels;
    this.#canManage = canManage;
    this.#holdRoles = new Set(holdRoles);
    this.#actions = actions;
    const headingId = uniqueId("call-roster-heading");
    this.root = el("section", { class: "call-panel call-roster", id: uniqueId("call-roster"), "aria-labelledby": headingId });
    this.#list = el("ul", { class: "call-roster-list" });
    this.root.append(el("h2", { id: headingId }, labels.participants ?? ""), this.#list);
    this.#row(null, labels.you ?? "");
  }

  upsert({ peer_id: peerId, name, role, audio = true, video = true, client = null }) {
    const row = this.#rows.get(peerId) ?? this.#row(peerId, name, role);
    row.name.textContent = name ?? "";
    row.role.textContent = this.#labels[ROLE_LABELS[role]] ?? "";
    row.role.hidden = !row.role.textContent;
    this.setMedia(peerId, { audio, video });
    this.setClient(peerId, client);
  }

  // client: {browser, browser_version, os} from the server ("" where not known), or null.
  setClient(peerId, client) {
    const row = this.#rows.get(peerId);
    if (!row) return;
    const L = this.#labels;
    const known = Boolean(client?.browser);
    row.client.textContent = known
      ? format(client.os ? L.client : "%(browser)s %(version)s", {
          browser: client.browser,
          version: client.browser_version ?? "",
          os: client.os,
        }).trim()
      : (L.client_unknown ?? "");
    row.root.dataset.browser = known ? client.browser : "";
  }

  // The connection to that person now (quality.js's reading), or null while not measured.
  setConnection(peerId, reading) {
    const row = this.#rows.get(peerId);
    if (!row?.connection) return;
    row.connection.hidden = !reading;
    row.route.hidden = !reading || reading.relayed === null;
    if (!reading) return;
    const L = this.#labels;
    const figure = (value) => (value === null || value === undefined ? "–" : String(value));
    row.connection.textContent = format(L.connection_figures, {
      kbps_in: figure(reading.kbpsIn),
      kbps_out: figure(reading.kbpsOut),
      rtt: figure(reading.rttMs),
      loss: reading.lossPercent === null ? "–" : reading.lossPercent.toFixed(1),
    });
    row.root.dataset.rttMs = reading.rttMs === null ? "" : String(reading.rttMs);
    if (reading.relayed === null) return;
    row.root.dataset.connection = reading.relayed ? "relayed" : "direct";
    row.route.textContent = reading.relayed
      ? reading.relayProtocol
        ? format(L.connection_relayed, { protocol: reading.relayProtocol.toUpperCase() })
        : (L.connection_relayed_plain ?? "")
      : (L.connection_direct ?? "");
  }

  setMedia(peerId, { audio, video }) {
    const row = this.#rows.get(peerId);
    if (!row) return;
    row.root.dataset.audio = audio ? "on" : "off";
    row.root.dataset.video = video ? "on" : "off";
    row.audioOff.hidden = audio;
    row.videoOff.hidden = video;
  }

  setPinned(pinned) {
    for (const [peerId, row] of this.#rows) row.pin?.setAttribute("aria-pressed", String(peerId !== null && peerId === pinned));
  }

  remove(peerId) {
    this.#rows.get(peerId)?.root.remove();
    this.#rows.delete(peerId);
  }

  #row(peerId, name, role = null) {
    const L = this.#labels;
    const nameId = uniqueId("call-roster-name");
    const root = el("li", { class: "call-roster-row" });
    if (peerId) root.dataset.peerId = peerId;
    else root.dataset.self = "";
    const row = {
      root,
      name: el("span", { class: "call-roster-name", id: nameId }, name ?? ""),
      role: el("span", { class: "call-roster-role", hidden: "" }),
      audioOff: el("span", { class: "call-indicator", "data-indicator": "audio", hidden: "" }, L.microphone_off ?? ""),
      videoOff: el("span", { class: "call-indicator", "data-indicator": "video", hidden: "" }, L.camera_off ?? ""),
      client: el("span", { class: "call-roster-client" }),
      connection: peerId ? el("span", { class: "call-roster-connection", hidden: "" }) : null,
      route: peerId ? el("span", { class: "call-roster-route", hidden: "" }) : null,
      pin: null,
    };
    const who = el("div", { class: "call-roster-who" });
    who.append(row.name, row.role, row.audioOff, row.videoOff);
    const details = el("div", { class: "call-roster-details" });
    details.append(...[row.client, row.connection, row.route].filter(Boolean));
    root.append(who, details);
    if (peerId) {
      const actions = el("div", { class: "call-roster-actions" });
      const described = { "aria-describedby": nameId };
      row.pin = button(L.pin, () => this.#actions.pin(peerId), { ...described, "aria-pressed": "false" });
      actions.append(row.pin);
      if (this.#canManage) actions.append(button(L.ask_to_mute, () => this.#actions.mute(peerId), described));
      if (this.#canManage && this.#holdRoles.has(role)) {
        actions.append(button(L.hold_participant, () => this.#actions.hold(peerId, role), { ...described, "data-action": "hold" }));
      }
      // A waiting-area caller leaves a call by hold or end (the call page's own buttons), never this.
      if (this.#canManage && role !== "patient") {
        actions.append(button(L.disconnect, () => this.#actions.disconnect(peerId), { ...described, class: "danger" }));
      }
      root.append(actions);
    }
    this.#rows.set(peerId, row);
    this.#list.append(root);
    return row;
  }
}

// mm:ss since joining (h:mm:ss past an hour); a <time> with an ISO duration for machines.
export class CallClock {
  #time;
  #timer = null;
  #since = 0;

  constructor(labels) {
    this.root = el("div", { class: "call-duration" });
    this.#time = el("time", { datetime: "PT0S" }, "00:00");
    this.root.append(el("span", {}, labels.duration ?? ""), " ", this.#time);
    this.root.hidden = true;
  }

  start() {
    if (this.#timer !== null) return;
    this.#since = Date.now();
    this.root.hidden = false;
    this.#tick();
    this.#timer = setInterval(() => this.#tick(), 1_000);
  }

  stop() {
    clearInterval(this.#timer);
    this.#timer = null;
  }

  #tick() {
    const seconds = Math.max(0, Math.floor((Date.now() - this.#since) / 1_000));
    const [h, m, s] = [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60];
    const two = (n) => String(n).padStart(2, "0");
    this.#time.textContent = h ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
    this.#time.dateTime = `PT${seconds}S`;
  }
}
