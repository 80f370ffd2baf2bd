// Before entering: camera and microphone permission, a live preview, device choice, and a
// check of browser, camera, microphone, the connection to the server (round trip), upload and
// download bandwidth, and the relay when calls must be relayed (consulta/static/js/precall/).
// The clinic's device_check decides whether a failed device or server check only warns or
// blocks entry; its bandwidth thresholds apply to the lower of upload and download. Each
// completed run is reported to the server for the clinic's event log (no personal data).
import { getMedia, listDevices, canChooseSpeaker, setSpeaker, stopStream } from "../call/devices.js";
import { browserSupported, csrfToken, measureNetwork } from "../precall/checks.js";
import {
  bandwidthText,
  entryVerdict,
  format,
  relayHost,
  relayText,
  relayVerdict,
  rttText,
  statusWord,
} from "../precall/verdict.js";
import { pageData } from "./page.js";
import { loadDevices, saveDevices } from "./device-choice.js";
import { keepAcrossLanguageChange } from "./keep-typed.js";

const data = pageData();
const L = data.labels;
const C = data.checkLabels; // the bandwidth, round-trip and relay checks' texts (consulta/precall/labels.py)
const again = document.getElementById("check-again");
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
document.querySelector('[data-check="relay"]').hidden = !data.relayOnly;
keepAcrossLanguageChange(form, document.querySelector(".language-picker.prominent"));

// status: "ok" | "warning" | "failed", or null while checking.
function show(check, status, detail = "") {
  const item = document.querySelector(`[data-check="${check}"]`);
  item.dataset.result = status ?? "checking";
  item.querySelector(".check-result").textContent = status ? statusWord(status, C) : L.checking;
  item.querySelector(".check-detail").textContent = detail;
}

function showMedia(check, ok) {
  results[check] = ok;
  show(check, ok === null ? null : ok ? "ok" : "failed");
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
  showMedia("camera", null);
  showMedia("microphone", null);
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
  showMedia("camera", live("video"));
  showMedia("microphone", live("audio"));
  const devices = await listDevices(L);
  fillSelect(selects.videoDeviceId, devices.cameras, chosen.videoDeviceId);
  fillSelect(selects.audioDeviceId, devices.microphones, chosen.audioDeviceId);
  fillSelect(selects.speakerId, devices.speakers, chosen.speakerId);
  selects.speakerId.closest(".field").hidden = !canChooseSpeaker();
  if (chosen.speakerId) await setSpeaker(preview, chosen.speakerId).catch(() => {});
}

// The network checks: round trip (server), bandwidth, and the relay when calls must be relayed.
async function checkNetwork() {
  for (const check of ["server", "bandwidth", "relay"]) show(check, null);
  const measured = await measureNetwork(data, {
    checkRelay: data.relayOnly,
    pingTimeoutMs: 5000,
    onStep: (step, result) => {
      if (step === "rtt") show("server", result.rttMs === null ? "failed" : "ok", rttText(result.rttMs, C));
    },
  });
  results.server = measured.rtt.rttMs !== null;
  if (data.relayOnly) {
    const verdict = relayVerdict(measured.probes, { relayOnly: true });
    results.relay = verdict.status;
    show("relay", verdict.status, relayText(measured.probes, verdict, data, C));
  }
  return measured;
}

function problemTexts(verdict, measured) {
  const texts = [];
  const lower = verdict.bandwidth.lowerKbps;
  const { warnKbps, blockKbps } = data.thresholds;
  if (!results.browser) texts.push(L.browserFailed);
  if (!results.camera) texts.push(L.cameraFailed);
  if (!results.microphone) texts.push(L.microphoneFailed);
  if (!results.server) texts.push(L.serverFailed);
  if (verdict.bandwidth.reason === "unmeasured") texts.push(C.bandwidthUnmeasured);
  if (verdict.bandwidth.reason === "slow") texts.push(format(C.bandwidthBlocked, { kbps: lower, block: blockKbps }));
  if (verdict.bandwidth.reason === "limited") texts.push(format(C.bandwidthWarned, { kbps: lower, warn: warnKbps }));
  if (results.relay === "failed") texts.push(C.relayFailed, format(C.adviceRelay, { host: relayHost(measured.probes ?? [], data.host) }));
  return texts;
}

function report(verdict, measured) {
  const body = {
    outcome: verdict.outcome,
    failed: verdict.failed,
    warned: verdict.warned,
    down_kbps: Number.isFinite(measured.down.kbps) ? measured.down.kbps : null,
    up_kbps: Number.isFinite(measured.up.kbps) ? measured.up.kbps : null,
    rtt_ms: measured.rtt.rttMs,
  };
  // Best effort: a report that does not arrive changes nothing for the patient.
  return fetch(data.entryCheckUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(body),
    credentials: "same-origin",
  })
    .then((response) => {
      form.dataset.reported = response.ok ? verdict.outcome : "refused";
    })
    .catch(() => {
      form.dataset.reported = "failed";
    });
}

let running = null;
let runAgain = false;

async function runChecks() {
  if (running) {
    runAgain = true; // a device chosen while checking: check once more when this run ends
    return running;
  }
  running = (async () => {
    form.dataset.checks = "checking";
    again.disabled = true;
    enter.disabled = true;
    summary.hidden = true;
    results.browser = browserSupported();
    show("browser", results.browser ? "ok" : "failed");
    results.relay = null;
    const [, measured] = await Promise.all([checkMedia(), checkNetwork()]);
    const verdict = entryVerdict(
      { ...results, downKbps: measured.down.kbps, upKbps: measured.up.kbps },
      { devicePolicy: data.policy, ...data.thresholds },
    );
    show("bandwidth", verdict.bandwidth.status, bandwidthText(measured.down, measured.up, C));
    const problems = problemTexts(verdict, measured);
    const blocked = verdict.outcome === "blocked";
    summary.hidden = false;
    summary.dataset.result = verdict.outcome === "passed" ? "ok" : blocked ? "failed" : "warning";
    summary.textContent = problems.length ? [...problems, blocked ? L.blockWait : L.warnContinue].join(" ") : L.allGood;
    enter.disabled = blocked;
    again.disabled = false;
    form.dataset.checks = blocked ? "blocked" : "passed";
    form.dataset.outcome = verdict.outcome;
    await report(verdict, measured);
  })();
  try {
    await running;
  } finally {
    running = null;
  }
  if (runAgain) {
    runAgain = false;
    await runChecks();
  }
}

for (const [key, select] of Object.entries(selects)) {
  select.addEventListener("change", () => {
    saveDevices({ ...loadDevices(), [key]: select.value || null });
    if (key === "speakerId") setSpeaker(preview, select.value).catch(() => {});
    else runChecks();
  });
}
again.addEventListener("click", runChecks);
form.addEventListener("submit", (event) => {
  if (enter.disabled) event.preventDefault();
});
window.addEventListener("pagehide", () => stopStream(stream));
runChecks();
