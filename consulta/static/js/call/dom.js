// Tiny DOM helpers the call modules share. Text always goes in as textContent: names and
// chat lines come from people, never as HTML.

export function el(tag, attributes = {}, text = null) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== null) node.textContent = text;
  return node;
}

export function button(label, onClick, attributes = {}) {
  const node = el("button", { type: "button", ...attributes }, label ?? "");
  node.addEventListener("click", onClick);
  return node;
}

export { plural } from "./plural.js";

// "%(name)s" placeholders, as in the server's translated labels. Numbers are written in the
// page's locale (its separators), with the digits 0-9 that the server's pages use too.
export function format(template, values) {
  return String(template ?? "").replace(/%\((\w+)\)s/g, (_, key) => {
    const value = values[key];
    return typeof value === "number" ? localNumber(value) : String(value ?? "");
  });
}

const numberFormats = new Map();
function localNumber(value) {
  const lang = globalThis.document?.documentElement.lang || "en";
  if (!numberFormats.has(lang)) {
    numberFormats.set(lang, new Intl.NumberFormat(lang, { numberingSystem: "latn", maximumFractionDigits: 1 }));
  }
  return numberFormats.get(lang).format(value);
}

// A panel the controls bar opens and closes (chat, participants, devices): a real button
// with aria-expanded, so screen readers and keyboards get the same as a mouse.
export function disclosure(label, panel, onToggle = () => {}) {
  const toggle = button(label, () => setOpen(panel.hidden), {
    class: "call-button",
    "aria-expanded": "false",
    "aria-controls": panel.id,
  });
  function setOpen(open) {
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    onToggle(open);
  }
  panel.hidden = true;
  return { toggle, setOpen, get open() { return !panel.hidden; } };
}

let counter = 0;
export function uniqueId(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

// A control's own words (its text, without counters such as the chat's "2 new").
export function ownText(node) {
  const text = [...node.childNodes]
    .filter((child) => child.nodeType === Node.TEXT_NODE)
    .map((child) => child.textContent)
    .join("")
    .trim();
  return text || node.textContent.trim();
}
