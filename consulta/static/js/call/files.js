// Sharing a file in the call: documents and images go peer to peer over the data channel
// (file-chunks.js has the protocol), never through or onto the server. The sender picks a
// file and whom to send it to (everyone, or one person); each recipient sees its name, size
// and type and accepts or declines; both sides see the progress and may cancel. The
// recipient checks the size and SHA-256 the offer announced, and only then offers to save
// it (a Blob URL download: nothing is opened).

import { encodeChunk } from "./data-protocol.js";
import { button, el, format, uniqueId } from "./dom.js";
import {
  APP,
  chunkRanges,
  checkOffer,
  formatSize,
  IncomingFile,
  isTransferId,
  MAX_PENDING_OFFERS,
  safeName,
  safeType,
  sha256Hex,
} from "./file-chunks.js";

const ACTIVE = new Set(["offered", "sending", "checking", "receiving"]);

function lang() {
  return document.documentElement.lang || undefined;
}

export class FilesPanel {
  #L;
  #transport;
  #limit;
  #peerName;
  #allowedFrom;
  #onNews;
  #outgoing = new Map(); // transfer id → transfer we send
  #incoming = new Map(); // "peerId id" → transfer we receive
  #nextId = 1 + Math.floor(Math.random() * 0x7fffffff);
  #form;
  #input;
  #to;
  #submit;
  #error;
  #list;
  #announcer;
  #canSend = false;
  #busy = false;
  dropped = 0; // offers and chunks refused: not announced, not accepted, over the size, not allowed

  // limitBytes: the largest file sent or taken; peerName(peerId); allowedFrom(peerId): whether
  // that peer may send files now (the apps view-only); onNews(): an offer arrived.
  constructor({ transport, labels, limitBytes, peerName, allowedFrom, onNews = () => {} }) {
    const L = (this.#L = labels);
    this.#transport = transport;
    this.#limit = limitBytes;
    this.#peerName = peerName;
    this.#allowedFrom = allowedFrom;
    this.#onNews = onNews;
    const headingId = uniqueId("call-files-heading");
    this.root = el("section", { class: "call-panel call-files", id: uniqueId("call-files"), "aria-labelledby": headingId });
    const mb = Math.round(limitBytes / (1024 * 1024));
    this.hint = el("p", { class: "call-apps-hint" }, format(L.files_hint, { mb }));

    this.#form = el("form", { class: "call-files-form" });
    const inputId = uniqueId("call-files-input");
    this.#input = el("input", { id: inputId, type: "file" });
    const toId = uniqueId("call-files-to");
    this.#to = el("select", { id: toId });
    this.#submit = el("button", { type: "submit" }, L.file_send ?? "");
    this.#error = el("p", { class: "call-files-error", role: "alert", hidden: "" });
    this.#form.append(
      el("label", { for: inputId }, L.file_choose ?? ""),
      this.#input,
      el("label", { for: toId }, L.file_to ?? ""),
      this.#to,
      this.#submit,
      this.#error,
    );
    this.#form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#send();
    });
    this.#list = el("ul", { class: "call-files-list" });
    this.#announcer = el("p", { class: "visually-hidden", role: "status" });
    this.root.append(el("h2", { id: headingId }, L.files ?? ""), this.hint, this.#form, this.#list, this.#announcer);
    this.setPeers([]);
    this.setCanSend(false);
  }

  // The others, [{peerId, name}], for the "Send to" select.
  setPeers(peers) {
    const chosen = this.#to.value;
    const everyone = el("option", { value: "" }, this.#L.file_everyone ?? "");
    this.#to.replaceChildren(everyone, ...peers.map(({ peerId, name }) => el("option", { value: peerId }, name)));
    this.#to.value = peers.some((p) => p.peerId === chosen) ? chosen : "";
  }

  setCanSend(canSend) {
    this.#canSend = canSend;
    for (const control of this.#form.elements) control.disabled = !canSend || (this.#busy && control === this.#submit);
    if (!canSend) for (const transfer of this.#outgoing.values()) if (ACTIVE.has(transfer.state)) this.#cancel(transfer);
  }

  // Stops what comes in from peers no longer allowed to send (the apps made view-only).
  refuseDisallowed() {
    for (const transfer of this.#incoming.values()) {
      if (ACTIVE.has(transfer.state) && !this.#allowedFrom(transfer.peerId)) this.#cancel(transfer);
    }
  }

  // A text message {app: "files", ...} from a peer.
  receive(peerId, message) {
    const { t, id } = message;
    if (!isTransferId(id)) return this.#refuse();
    if (t === "offer") return this.#offered(peerId, message);
    if (["accept", "decline", "received"].includes(t)) {
      const transfer = this.#outgoing.get(id);
      if (!transfer || transfer.peerId !== peerId) return this.#refuse();
      if (t === "accept" && transfer.state === "offered") {
        this.#set(transfer, "sending");
        this.#pump(transfer);
      } else if (t === "decline" && ACTIVE.has(transfer.state)) {
        // Before it began: declined; under way: they stopped it.
        this.#finish(transfer, transfer.state === "offered" ? "declined" : "cancelled");
      } else if (t === "received" && transfer.state === "checking") {
        this.#finish(transfer, message.ok === true ? "delivered" : "damaged");
      }
      return;
    }
    if (t === "cancel") {
      const transfer = this.#incoming.get(`${peerId} ${id}`);
      if (!transfer) return this.#refuse();
      if (ACTIVE.has(transfer.state)) this.#finish(transfer, "cancelled");
      return;
    }
    if (t === "end") {
      const transfer = this.#incoming.get(`${peerId} ${id}`);
      if (!transfer || transfer.state !== "receiving" || !this.#allowedFrom(peerId)) return this.#refuse();
      return this.#check(transfer);
    }
    return this.#refuse();
  }

  // A binary chunk {transfer, seq, bytes} from a peer.
  receiveChunk(peerId, { transfer: id, seq, bytes }) {
    const transfer = this.#incoming.get(`${peerId} ${id}`);
    if (!transfer || transfer.state !== "receiving") return this.#refuse();
    if (!this.#allowedFrom(peerId)) {
      this.#refuse();
      return this.#cancel(transfer);
    }
    const result = transfer.file.add(seq, bytes);
    if (result === "out_of_order" || result === "too_much") {
      this.#refuse();
      this.#tell(transfer, "decline");
      return this.#finish(transfer, "damaged");
    }
    this.#progress(transfer, transfer.file.received);
  }

  // Their channel closed or they left: what was under way with them stops.
  peerGone(peerId) {
    for (const transfer of [...this.#outgoing.values(), ...this.#incoming.values()]) {
      if (transfer.peerId === peerId && ACTIVE.has(transfer.state)) this.#finish(transfer, "failed");
    }
  }

  close() {
    for (const transfer of [...this.#outgoing.values(), ...this.#incoming.values()]) {
      if (ACTIVE.has(transfer.state)) this.#cancel(transfer);
      this.#forget(transfer);
    }
    this.#list.replaceChildren();
    this.setCanSend(false);
  }

  get snapshot() {
    const describe = ({ id, peerId, name, size, state }) => ({ id, peerId, name, size, state });
    return {
      dropped: this.dropped,
      sending: [...this.#outgoing.values()].map(describe),
      receiving: [...this.#incoming.values()].map(describe),
    };
  }

  // --- Sending -------------------------------------------------------------------------------

  async #send() {
    const L = this.#L;
    this.#showError(null);
    const file = this.#input.files?.[0];
    if (!file) return this.#showError(L.file_none_chosen);
    if (file.size > this.#limit) return this.#showError(format(L.file_too_large, { mb: Math.round(this.#limit / (1024 * 1024)) }));
    const to = this.#to.value || null;
    const transport = this.#transport;
    const recipients = (to ? [to] : transport.peerIds).filter((peerId) => transport.dataOpen(peerId));
    if (!recipients.length) return this.#showError(L.file_nobody);
    this.#busy = true;
    this.#submit.disabled = true;
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const sha256 = await sha256Hex(bytes);
      if (!this.#canSend) return;
      const offer = { name: safeName(file.name), size: bytes.byteLength, type: safeType(file.type), sha256 };
      for (const peerId of recipients) {
        const id = this.#newId();
        const transfer = { id, peerId, direction: "out", ...offer, bytes, state: "offered" };
        transfer.row = this.#row(transfer);
        this.#outgoing.set(id, transfer);
        if (!transport.sendData({ app: APP, t: "offer", id, ...offer }, { to: peerId })) this.#finish(transfer, "failed");
        else this.#set(transfer, "offered");
      }
      this.#form.reset();
    } catch (error) {
      console.warn("Files: cannot read that file", error);
      this.#showError(L.file_unreadable);
    } finally {
      this.#busy = false;
      this.#submit.disabled = !this.#canSend;
    }
  }

  async #pump(transfer) {
    const transport = this.#transport;
    let seq = 0;
    for (const [start, end] of chunkRanges(transfer.size)) {
      // A large file must not be queued in the channel at once: wait for it to drain.
      const open = await transport.whenDataDrained(transfer.peerId);
      if (transfer.state !== "sending") return;
      const frame = encodeChunk(transfer.id, seq, transfer.bytes.subarray(start, end));
      if (!open || !transport.sendData(frame, { to: transfer.peerId })) return this.#finish(transfer, "failed");
      seq += 1;
      this.#progress(transfer, end);
    }
    if (transfer.state !== "sending") return;
    this.#tell(transfer, "end");
    this.#set(transfer, "checking");
  }

  #newId() {
    this.#nextId = (this.#nextId % 0xffffffff) + 1;
    return this.#nextId;
  }

  // --- Receiving -----------------------------------------------------------------------------

  #offered(peerId, message) {
    const key = `${peerId} ${message.id}`;
    if (this.#incoming.has(key)) return this.#refuse();
    const decline = () => {
      this.#refuse();
      this.#transport.sendData({ app: APP, t: "decline", id: message.id }, { to: peerId });
    };
    // Never from someone the apps are view-only for; never past the size this page takes.
    if (!this.#allowedFrom(peerId)) return decline();
    const offer = checkOffer(message, this.#limit);
    if (!offer) return decline();
    const pending = [...this.#incoming.values()].filter((t) => t.peerId === peerId && ACTIVE.has(t.state)).length;
    if (pending >= MAX_PENDING_OFFERS) return decline();
    const transfer = { ...offer, peerId, direction: "in", state: "offered", key };
    transfer.row = this.#row(transfer);
    this.#incoming.set(key, transfer);
    this.#set(transfer, "offered");
    this.#announce(format(this.#L.file_offered, { name: this.#peerName(peerId), file: offer.name }));
    this.#onNews();
  }

  #accept(transfer) {
    if (transfer.state !== "offered") return;
    if (!this.#allowedFrom(transfer.peerId)) return this.#cancel(transfer);
    transfer.file = new IncomingFile(transfer);
    this.#set(transfer, "receiving");
    this.#tell(transfer, "accept");
  }

  #decline(transfer) {
    if (transfer.state !== "offered") return;
    this.#tell(transfer, "decline");
    this.#forget(transfer);
  }

  async #check(transfer) {
    this.#set(transfer, "checking");
    const result = await transfer.file.verify();
    transfer.file.discard();
    if (transfer.state !== "checking") return; // cancelled meanwhile
    this.#tell(transfer, "received", { ok: result.ok });
    if (!result.ok) return this.#finish(transfer, "damaged");
    // Never the announced type: a Blob URL of HTML would run as this page if someone opened it.
    transfer.url = URL.createObjectURL(new Blob([result.bytes], { type: "application/octet-stream" }));
    this.#finish(transfer, "ready");
    this.#announce(format(this.#L.file_ready_named, { file: transfer.name }));
  }

  // --- Either side ---------------------------------------------------------------------------

  #tell(transfer, t, fields = {}) {
    return this.#transport.sendData({ app: APP, t, id: transfer.id, ...fields }, { to: transfer.peerId });
  }

  // The sender cancels; the recipient declines, at any time before the end.
  #cancel(transfer) {
    if (!ACTIVE.has(transfer.state)) return;
    this.#tell(transfer, transfer.direction === "out" ? "cancel" : "decline");
    this.#finish(transfer, "cancelled");
  }

  #finish(transfer, state) {
    transfer.bytes = null; // the file's bytes go as soon as nothing more is sent
    transfer.file?.discard();
    this.#set(transfer, state);
  }

  #forget(transfer) {
    if (transfer.url) URL.revokeObjectURL(transfer.url);
    transfer.url = null;
    transfer.bytes = null;
    transfer.file?.discard();
    transfer.row?.root.remove();
    if (transfer.direction === "out") this.#outgoing.delete(transfer.id);
    else this.#incoming.delete(transfer.key);
  }

  #refuse() {
    this.dropped += 1;
  }

  // --- Showing -------------------------------------------------------------------------------

  #row(transfer) {
    const L = this.#L;
    const nameId = uniqueId("call-file-name");
    const progressId = uniqueId("call-file-progress");
    const root = el("li", { class: "call-file", "data-direction": transfer.direction });
    const who = format(transfer.direction === "out" ? L.file_to_person : L.file_from, {
      name: this.#peerName(transfer.peerId) || L.participant,
    });
    const meta = format(L.file_meta, { size: formatSize(transfer.size, lang()), type: transfer.type });
    const row = {
      root,
      nameId,
      status: el("p", { class: "call-file-status" }),
      progress: el("progress", { id: progressId, max: String(Math.max(1, transfer.size)), value: "0" }),
      progressLabel: el("label", { for: progressId, class: "call-file-progress-label" }),
      actions: el("div", { class: "call-file-actions" }),
    };
    root.append(
      el("p", { class: "call-file-name", id: nameId }, transfer.name),
      el("p", { class: "call-file-meta" }, `${meta} · ${who}`),
      row.progressLabel,
      row.progress,
      row.status,
      row.actions,
    );
    this.#list.prepend(root);
    return row;
  }

  #progress(transfer, bytes) {
    const row = transfer.row;
    row.progress.value = bytes;
    row.progressLabel.textContent = format(this.#L.file_progress, {
      done: formatSize(bytes, lang()),
      total: formatSize(transfer.size, lang()),
    });
  }

  #set(transfer, state) {
    const L = this.#L;
    transfer.state = state;
    const row = transfer.row;
    const name = this.#peerName(transfer.peerId) || L.participant;
    const out = transfer.direction === "out";
    row.root.dataset.state = state;
    const described = { "aria-describedby": row.nameId };
    const statuses = {
      offered: out ? format(L.file_waiting, { name }) : format(L.file_offered_here, { name }),
      sending: L.file_sending,
      receiving: L.file_receiving,
      checking: out ? L.file_checking : L.file_verifying,
      delivered: format(L.file_delivered, { name }),
      ready: L.file_ready,
      damaged: out ? L.file_damaged_sent : L.file_damaged,
      declined: format(L.file_declined, { name }),
      cancelled: L.file_cancelled,
      failed: L.file_failed,
    };
    row.status.textContent = statuses[state] ?? "";
    const actions = [];
    if (state === "offered" && !out) {
      actions.push(button(L.file_accept, () => this.#accept(transfer), { ...described, "data-file-action": "accept" }));
      actions.push(button(L.file_decline, () => this.#decline(transfer), { ...described, "data-file-action": "decline" }));
    } else if (ACTIVE.has(state)) {
      actions.push(button(L.file_cancel, () => this.#cancel(transfer), { ...described, "data-file-action": "cancel" }));
    } else {
      if (state === "ready" && transfer.url) {
        const save = el("a", { href: transfer.url, download: transfer.name, class: "button", ...described }, L.file_save ?? "");
        actions.push(save);
      }
      actions.push(button(L.file_remove, () => this.#forget(transfer), { ...described, "data-file-action": "remove" }));
    }
    row.actions.replaceChildren(...actions);
    row.progress.hidden = !(["sending", "receiving", "checking"].includes(state) || state === "ready" || state === "delivered");
    row.progressLabel.hidden = row.progress.hidden;
    if (state === "sending" || state === "receiving") this.#progress(transfer, out ? 0 : transfer.file.received);
    if (state === "ready" || state === "delivered") this.#progress(transfer, transfer.size);
  }

  #showError(text) {
    this.#error.textContent = text ?? "";
    this.#error.hidden = !text;
  }

  #announce(text) {
    this.#announcer.textContent = text ?? "";
  }
}
