// The call screen's icons: small line drawings (24 × 24, drawn with the text's colour), keyed
// by a control's data-action. Built with the DOM, never from markup. Always aria-hidden: a
// control's name is its visible text, the icon only shows it.
//
// "slash" is drawn only while the control is off (a microphone or camera button with
// aria-pressed="false", see call.css), so one icon serves both states.

const SVG = "http://www.w3.org/2000/svg";

const PATHS = {
  microphone: ["M12 2a3 3 0 0 0-3 3v7a3 3 0 0 0 6 0V5a3 3 0 0 0-3-3z", "M19 10v2a7 7 0 0 1-14 0v-2", "M12 19v3", "M8 22h8"],
  camera: ["M4 6h9a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2z", "M15 10.5l6-3.5v10l-6-3.5"],
  leave: ["M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4", "M16 17l5-5-5-5", "M21 12H9"],
  share: ["M3 4h18a1 1 0 0 1 1 1v11a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1z", "M8 21h8", "M12 17v4", "M12 14V8", "M9 11l3-3 3 3"],
  layout: ["M3 4h18v16H3z", "M3 15h18", "M9 15v5", "M15 15v5"],
  chat: ["M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"],
  participants: [
    "M16 21v-2a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v2",
    "M9 3a4 4 0 1 0 0 8a4 4 0 1 0 0-8z",
    "M22 21v-2a4 4 0 0 0-3-3.87",
    "M16 3.13a4 4 0 0 1 0 7.75",
  ],
  devices: ["M4 21v-7", "M4 10V3", "M12 21v-9", "M12 8V3", "M20 21v-5", "M20 12V3", "M1 14h6", "M9 8h6", "M17 16h6"],
  fullscreen: ["M8 3H5a2 2 0 0 0-2 2v3", "M21 8V5a2 2 0 0 0-2-2h-3", "M3 16v3a2 2 0 0 0 2 2h3", "M16 21h3a2 2 0 0 0 2-2v-3"],
  files: ["M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8z", "M14 2v6h6", "M12 18v-6", "M9 15l3-3 3 3"],
  whiteboard: ["M12 20h9", "M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z"],
  consultation: [
    "M16 4h2a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2h2",
    "M9 2h6v4H9z",
    "M9 12h6",
    "M9 16h6",
  ],
  waiting: ["M12 2a10 10 0 1 0 0 20a10 10 0 1 0 0-20z", "M12 6v6l4 2"],
  guests: ["M16 21v-2a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v2", "M9 3a4 4 0 1 0 0 8a4 4 0 1 0 0-8z", "M19 8v6", "M22 11h-6"],
  move: ["M5 9l-3 3 3 3", "M9 5l3-3 3 3", "M15 19l-3 3-3-3", "M19 9l3 3-3 3", "M2 12h20", "M12 2v20"],
  reconnecting: ["M21 12a9 9 0 1 1-2.64-6.36L21 8", "M21 3v5h-5"],
};
// Drawn only while off.
const SLASHED = new Set(["microphone", "camera"]);
// Drawings that point a way (leaving to the end of the line, a speech bubble's tail): a
// right-to-left page mirrors them (call.css, [dir="rtl"] .call-icon-directional).
const DIRECTIONAL = new Set(["leave", "chat"]);

// Tile indicators reuse the control's drawing, always slashed.
const ALIASES = { audio: "microphone", video: "camera", sharing: "share" };

export function hasIcon(name) {
  return Boolean(PATHS[ALIASES[name] ?? name]);
}

// An <svg> for `name` (a data-action), or null for a name without one.
// slashed: true draws the slash always (an indicator: "microphone off").
export function icon(name, { slashed = false } = {}) {
  const key = ALIASES[name] ?? name;
  const paths = PATHS[key];
  if (!paths) return null;
  const svg = document.createElementNS(SVG, "svg");
  for (const [attribute, value] of Object.entries({
    viewBox: "0 0 24 24",
    width: "24",
    height: "24",
    fill: "none",
    stroke: "currentColor",
    "stroke-width": "2",
    "stroke-linecap": "round",
    "stroke-linejoin": "round",
    "aria-hidden": "true",
    focusable: "false",
    class: DIRECTIONAL.has(key) ? "call-icon call-icon-directional" : "call-icon",
    "data-icon": key,
  })) {
    svg.setAttribute(attribute, value);
  }
  for (const d of paths) svg.append(path(d));
  if (SLASHED.has(key) || slashed) {
    const slash = path("M3 3l18 18");
    slash.setAttribute("class", slashed ? "call-icon-slash call-icon-slash-always" : "call-icon-slash");
    svg.append(slash);
  }
  return svg;
}

function path(d) {
  const node = document.createElementNS(SVG, "path");
  node.setAttribute("d", d);
  return node;
}
