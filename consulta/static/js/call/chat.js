// Text chat within the call. Lines travel through the server to everyone in the call (the
// sender's own come back the same way) and live only in this panel: nothing is stored, and
// the lines are gone when the call ends or the page closes.

import { el, uniqueId } from "./dom.js";

const MAX_LENGTH = 1_000; // docs/signalling.md

function clock(iso) {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return null;
  const lang = document.documentElement.lang || undefined;
  return { iso: when.toISOString(), text: new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit" }).format(when) };
}

export class ChatPanel {
  #labels;
  #list;
  #form;
  #input;
  #send;
  #onUnread;
  #unread = 0;
  #visible = false;

  // send(text) hands a line to the socket (which queues it while reconnecting); onUnread(count)
  // while the panel is closed.
  constructor({ labels, send, onUnread = () => {} }) {
    this.#labels = labels;
    this.#send = send;
    this.#onUnread = onUnread;
    const headingId = uniqueId("call-chat-heading");
    this.root = el("section", { class: "call-panel call-chat", id: uniqueId("call-chat"), "aria-labelledby": headingId });
    const heading = el("h2", { id: headingId }, labels.chat ?? "");
    this.#list = el("ol", { class: "call-chat-lines", "aria-live": "polite" });
    const empty = el("p", { class: "call-chat-empty" }, labels.chat_empty ?? "");
    this.#form = el("form", { class: "call-chat-form" });
    const inputId = uniqueId("call-chat-input");
    this.#input = el("input", { id: inputId, type: "text", maxlength: String(MAX_LENGTH), autocomplete: "off", required: "" });
    const label = el("label", { for: inputId }, labels.chat_message ?? "");
    const submit = el("button", { type: "submit" }, labels.chat_send ?? "");
    this.#form.append(label, this.#input, submit);
    this.#form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = this.#input.value.trim();
      if (!text) return;
      this.#send(text.slice(0, MAX_LENGTH));
      this.#form.reset();
    });
    this.root.append(heading, empty, this.#list, this.#form);
    this.setEnabled(false);
  }

  // Only once in the call: the server takes chat from peers only.
  setEnabled(enabled) {
    for (const control of this.#form.elements) control.disabled = !enabled;
  }

  setVisible(visible) {
    this.#visible = visible;
    if (visible) {
      this.#unread = 0;
      this.#onUnread(0);
      this.#input.focus();
    }
  }

  add({ name, text, sent_at: sentAt }, { mine = false } = {}) {
    const item = el("li", { class: mine ? "call-chat-line call-chat-mine" : "call-chat-line" });
    const meta = el("div", { class: "call-chat-meta" });
    meta.append(el("span", { class: "call-chat-name" }, mine ? (this.#labels.you ?? name) : name));
    const time = clock(sentAt);
    if (time) meta.append(" ", el("time", { datetime: time.iso }, time.text));
    item.append(meta, el("p", { class: "call-chat-text" }, text));
    this.#list.append(item);
    this.root.classList.add("call-chat-started");
    this.#list.scrollTop = this.#list.scrollHeight; // the newest line in sight, the page unmoved
    if (!this.#visible && !mine) this.#onUnread(++this.#unread);
  }

  clear() {
    this.#list.replaceChildren();
    this.root.classList.remove("call-chat-started");
    this.#unread = 0;
    this.#onUnread(0);
  }
}
