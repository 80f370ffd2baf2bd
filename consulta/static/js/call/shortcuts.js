// The call screen's keyboard shortcuts: M microphone, V camera, Shift+L leave. They never
// fire while someone types, and a switch in the devices panel turns them off (WCAG 2.1.4),
// remembered in this browser.

import { el, ownText, uniqueId } from "./dom.js";

// aria-keyshortcuts syntax, per button of the bar.
const KEYS = { audio: "M", video: "V", leave: "Shift+L" };
const STORED = "consulta.call.shortcuts";
// Where typing a letter is typing, not a shortcut.
const TYPING = 'input:not([type="checkbox"], [type="radio"], [type="button"], [type="submit"], [type="reset"]), textarea, select, [contenteditable]:not([contenteditable="false"])';

function stored() {
  try {
    return window.localStorage.getItem(STORED) !== "off";
  } catch {
    return true;
  }
}

function store(on) {
  try {
    window.localStorage.setItem(STORED, on ? "on" : "off");
  } catch {
    // Not remembered: still off for this call.
  }
}

export class CallShortcuts {
  #container;
  #buttons; // {audio, video, leave}
  #label;
  #inline;
  #on = stored();
  #box = null;

  constructor({ container, buttons, label, inline }) {
    this.#container = container;
    this.#buttons = buttons;
    this.#label = label;
    this.#inline = inline;
    this.#show();
  }

  // A keydown anywhere on the page: the button it names, clicked, if it is this screen's.
  handle(event) {
    if (!this.#on || event.defaultPrevented || event.repeat) return;
    if (event.ctrlKey || event.metaKey || event.altKey || this.#container.hidden) return;
    const target = event.target instanceof Element ? event.target : null;
    if (target?.closest(TYPING) || target?.isContentEditable) return;
    // Several call screens on one page (inline ones): the keys go to the one with the focus.
    const screen = target?.closest(".call") ?? null;
    if (screen ? screen !== this.#container : this.#inline) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : "";
    let button = null;
    if (key === "m" && !event.shiftKey) button = this.#buttons.audio;
    else if (key === "v" && !event.shiftKey) button = this.#buttons.video;
    else if (key === "l" && event.shiftKey) button = this.#buttons.leave;
    if (!button || button.disabled || button.hidden) return;
    event.preventDefault();
    button.click();
  }

  // The switch that turns them on and off, for the devices panel.
  switchField() {
    const field = el("div", { class: "field checkbox call-shortcuts" });
    if (!this.#label) return field;
    const id = uniqueId("call-shortcuts");
    const box = (this.#box = el("input", { type: "checkbox", id }));
    box.checked = this.#on;
    box.addEventListener("change", () => {
      this.#on = box.checked;
      store(box.checked);
      this.#show();
    });
    field.append(box, el("label", { for: id }, this.#label));
    return field;
  }

  // aria-keyshortcuts and the tooltips say the keys while they work.
  #show() {
    for (const [kind, keys] of Object.entries(KEYS)) {
      const button = this.#buttons[kind];
      const label = ownText(button);
      if (this.#on) {
        button.setAttribute("aria-keyshortcuts", keys);
        button.title = `${label} (${keys})`;
      } else {
        button.removeAttribute("aria-keyshortcuts");
        button.title = label;
      }
    }
    if (this.#box) this.#box.checked = this.#on;
  }
}
