// One participant's tile: the video and a caption with their name, connection state and
// quality, microphone and camera indicators, and (for the others) a pin button.

import { button, el, uniqueId } from "./dom.js";

function indicator(kind, label) {
  return el("span", { class: "call-indicator", "data-indicator": kind, hidden: "" }, label ?? "");
}

export function makeTile(labels, { local = false, onPin = null } = {}) {
  const root = el("figure", { class: local ? "call-tile call-tile-local" : "call-tile" });
  const video = el("video", { class: local ? "call-video call-mirror" : "call-video" });
  video.autoplay = true;
  video.playsInline = true;
  // One's own microphone played back would echo; others' audio plays from their tile.
  video.muted = local;
  const nameId = uniqueId("call-name");
  const tile = {
    root,
    video,
    name: el("span", { class: "call-name", id: nameId }, (local ? labels.you : labels.participant) ?? ""),
    badge: local ? null : el("span", { class: "call-badge" }),
    quality: local ? null : el("span", { class: "call-quality", hidden: "" }),
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
  const parts = [tile.name, tile.badge, tile.quality, tile.sharing, tile.audioOff, tile.videoOff, tile.pin];
  caption.append(...parts.filter(Boolean));
  root.append(video, caption);
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
  tile.quality.textContent = quality.text;
  tile.quality.title = quality.detail;
  tile.quality.setAttribute("aria-description", quality.detail);
}
