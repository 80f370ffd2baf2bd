// One participant's tile: the video and a caption with their name, connection state and
// quality, microphone and camera indicators, and (for the others) a pin button.

import { button, el, uniqueId } from "./dom.js";
import { icon } from "./icons.js";

function indicator(kind, label) {
  const node = el("span", { class: "call-indicator", "data-indicator": kind, hidden: "" }, label ?? "");
  const drawing = icon(kind, { slashed: kind !== "sharing" });
  if (drawing) node.prepend(drawing);
  return node;
}

// Signal bars: as many lit as the connection is good; the words are for screen readers (and
// the numbers, in title / aria-description, for whoever asks).
function qualityIndicator() {
  const root = el("span", { class: "call-quality", hidden: "" });
  const bars = el("span", { class: "call-bars", "aria-hidden": "true" });
  for (let i = 1; i <= 3; i += 1) bars.append(el("span", { class: "call-bar", "data-bar": String(i) }));
  const text = el("span", { class: "call-quality-text" });
  root.append(bars, text);
  return { root, text };
}

export function makeTile(labels, { local = false, onPin = null } = {}) {
  const root = el("figure", { class: local ? "call-tile call-tile-local" : "call-tile" });
  const video = el("video", { class: local ? "call-video call-mirror" : "call-video" });
  video.autoplay = true;
  video.playsInline = true;
  // One's own microphone played back would echo; others' audio plays from their tile.
  video.muted = local;
  const nameId = uniqueId("call-name");
  const quality = local ? null : qualityIndicator();
  const tile = {
    root,
    video,
    name: el("span", { class: "call-name", id: nameId }, (local ? labels.you : labels.participant) ?? ""),
    badge: local ? null : el("span", { class: "call-badge" }),
    quality: quality?.root ?? null,
    qualityText: quality?.text ?? null,
    sharing: local ? indicator("sharing", labels.sharing_on) : null,
    audioOff: indicator("audio", labels.microphone_off),
    videoOff: indicator("video", labels.camera_off),
    pin: null,
  };
  if (onPin) {
    // One label and aria-pressed: "Pin, pressed" reads better than a label that flips.
    tile.pin = button(labels.pin, onPin, { class: "call-pin", "aria-pressed": "false", "aria-describedby": nameId });
  }
  const caption = el("figcaption", { class: "call-caption" });
  const parts = [tile.name, tile.quality, tile.sharing, tile.audioOff, tile.videoOff, tile.pin];
  caption.append(...parts.filter(Boolean));
  root.append(video, caption);
  // The connection's state, large over the picture while it is not connected.
  if (tile.badge) root.append(tile.badge);
  return tile;
}

export function showMedia(tile, { audio, video }) {
  tile.root.dataset.audio = audio ? "on" : "off";
  tile.root.dataset.video = video ? "on" : "off";
  tile.audioOff.hidden = audio;
  tile.videoOff.hidden = video;
}

// quality: {level: "good"|"fair"|"poor", text, detail} or null while unknown.
export function showQuality(tile, quality) {
  if (!tile.quality) return;
  tile.quality.hidden = !quality;
  if (!quality) return;
  tile.root.dataset.quality = quality.level;
  tile.quality.dataset.quality = quality.level;
  tile.qualityText.textContent = quality.text;
  tile.quality.title = quality.detail;
  tile.quality.setAttribute("aria-description", quality.detail);
}
