// Before entering: camera and microphone permission, a live preview, device choice,
// and a check of browser, camera, microphone and the connection to the server.
// The clinic decides whether a failed check only warns or blocks entry.
import { getMedia, listDevices, canChooseSpeaker, setSpeaker, stopStream } from "../call/devices.js";
import { socketUrl } from "../call/socket.js";
import { pageData } from "./page.js";
import { loadDevices, saveDevices } from "./device-choice.js";

const data = pageData();
const L = data.labels;
const preview = document.getElementById("self-preview");
const summary = document.getElementById("check-summary");
const enter = document.getElementById("enter-button");
const form = document.getElementById("entry-form");
const selects = {
  videoDeviceId: document.getElementById("camera-select"),
  audioDeviceId: document.getElementById("microphone-select"),
  speakerId: document.getElementById("speaker-select"),
};
let stream = null;
const results = {};

function show(check, ok) {
  results[check] = ok;
  const item = document.querySelector(`[data-check="${check}"]`);
  item.dataset.result = ok === null ? "checking" : ok ? "ok" : "failed";
  item.querySelector(".check-result").textContent = ok === null ? L.checking : ok ? L.ok : L.failedCheck;
}

function pingServer(timeoutMs = 5000) {
  return new Promise((resolve) => {
    let socket;
    const done = (ok) => {
      clearTimeout(timer);
      socket?.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    try {
      socket = new WebSocket(socketUrl(data.pingUrl));
    } catch {
      return done(false);
    }
    socket.onopen = () => socket.send(JSON.stringify({ type: "ping" }));
    socket.onmessage = (event) => done(JSON.parse(event.data).type === "pong");
    socket.onerror = () => done(false);
  });
}

function fillSelect(select, devices, chosen) {
  const options = [new Option(L.defaultDevice, "")];
  for (const d of devices) options.push(new Option(d.label, d.deviceId, false, d.deviceId === chosen));
  select.replaceChildren(...options);
}

async function checkMedia() {
  const chosen = loadDevices();
  stopStream(stream);
  stream = null;
  show("camera", null);
  show("microphone", null);
  try {
    stream = await getMedia({ videoDeviceId: chosen.videoDeviceId, audioDeviceId: chosen.audioDeviceId });
  } catch {
    try {
      // One device may fail alone: find out which.
      stream = await getMedia({ audio: true, video: false });
    } catch {
      stream = null;
    }
  }
  preview.srcObject = stream;
  const live = (kind) => Boolean(stream?.getTracks().some((t) => t.kind === kind && t.readyState === "live"));
  show("camera", live("video"));
  show("microphone", live("audio"));
  const devices = await listDevices(L);
  fillSelect(selects.videoDeviceId, devices.cameras, chosen.videoDeviceId);
  fillSelect(selects.audioDeviceId, devices.microphones, chosen.audioDeviceId);
  fillSelect(selects.speakerId, devices.speakers, chosen.speakerId);
  selects.speakerId.closest(".field").hidden = !canChooseSpeaker();
  if (chosen.speakerId) await setSpeaker(preview, chosen.speakerId).catch(() => {});
}

async function runChecks() {
  show("browser", Boolean(window.RTCPeerConnection && navigator.mediaDevices?.getUserMedia));
  show("server", null);
  const [, serverOk] = await Promise.all([checkMedia(), pingServer()]);
  show("server", serverOk);
  const problems = [];
  if (!results.browser) problems.push(L.browserFailed);
  if (!results.camera) problems.push(L.cameraFailed);
  if (!results.microphone) problems.push(L.microphoneFailed);
  if (!results.server) problems.push(L.serverFailed);
  const blocked = problems.length > 0 && data.policy === "block";
  summary.hidden = false;
  summary.dataset.result = problems.length ? "failed" : "ok";
  summary.textContent = problems.length
    ? [...problems, blocked ? L.blockWait : L.warnContinue].join(" ")
    : L.allGood;
  enter.disabled = blocked;
  form.dataset.checks = blocked ? "blocked" : "passed";
}

for (const [key, select] of Object.entries(selects)) {
  select.addEventListener("change", () => {
    saveDevices({ ...loadDevices(), [key]: select.value || null });
    if (key === "speakerId") setSpeaker(preview, select.value).catch(() => {});
    else runChecks();
  });
}
document.getElementById("check-again").addEventListener("click", runChecks);
form.addEventListener("submit", (event) => {
  if (enter.disabled) event.preventDefault();
});
window.addEventListener("pagehide", () => stopStream(stream));
runChecks();
