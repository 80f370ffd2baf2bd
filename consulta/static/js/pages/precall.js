// The public pre-call test: browser, camera (live preview), microphone (level meter), speaker
// (a test sound and "Did you hear it?"), round trip, upload and download bandwidth, and the
// STUN/TURN servers; then advice and a summary to copy for IT support. Nothing is sent anywhere
// but the test's own transfers, and nothing is recorded.
import { getMedia, stopStream } from "../call/devices.js";
import { browserSupported, measureNetwork, playTestSound, startLevelMeter } from "../precall/checks.js";
import {
  adviceKeys,
  bandwidthText,
  bandwidthVerdict,
  format,
  relayHost,
  relayText,
  relayVerdict,
  rttStatus,
  rttText,
  statusWord,
  summaryText,
} from "../precall/verdict.js";
import { pageData } from "./page.js";

const data = pageData();
const L = data.labels;
const $ = (id) => document.getElementById(id);
const ROWS = ["browser", "camera", "microphone", "speaker", "server", "bandwidth", "relay"];
const ROW_LABELS = {
  browser: L.checkBrowser,
  camera: L.checkCamera,
  microphone: L.checkMicrophone,
  speaker: L.checkSpeaker,
  server: L.checkServer,
  bandwidth: L.checkBandwidth,
  relay: L.checkRelay,
};

let state = {};
let stream = null;
let stopMeter = () => {};

// Each row: {status: "ok"|"warning"|"failed"|null (still checking), detail}.
function rows() {
  const s = state;
  const result = {
    browser: { status: s.browser ? "ok" : "failed", detail: data.browserName || navigator.userAgent },
    camera: { status: s.camera === null ? null : s.camera ? "ok" : "failed", detail: "" },
    microphone: { status: s.microphone === null ? null : s.microphone ? "ok" : "failed", detail: "" },
    speaker: {
      status: s.speaker,
      detail: s.speaker === null ? L.speakerWaiting : s.speaker === "ok" ? L.speakerHeard : L.speakerNotHeard,
    },
    server: { status: null, detail: "" },
    bandwidth: { status: null, detail: "" },
    relay: { status: null, detail: "" },
  };
  if (s.rtt) {
    const status = rttStatus(s.rtt.rttMs);
    result.server = { status, detail: rttText(s.rtt.rttMs, L) };
  }
  if (s.down && s.up) {
    const verdict = bandwidthVerdict(s.down.kbps, s.up.kbps, data.thresholds);
    result.bandwidth = { status: verdict.status, detail: bandwidthText(s.down, s.up, L) };
  } else if (s.down) {
    result.bandwidth.detail = bandwidthText(s.down, null, L);
  }
  if (s.probes) {
    const verdict = relayVerdict(s.probes, { relayOnly: data.relayOnly });
    result.relay = { status: verdict.status, detail: relayText(s.probes, verdict, data, L) };
  }
  return result;
}

function showRow(name, { status, detail }) {
  const item = document.querySelector(`[data-check="${name}"]`);
  item.dataset.result = status ?? "checking";
  item.querySelector(".check-result").textContent = status ? statusWord(status, L) : L.checking;
  item.querySelector(".check-detail").textContent = detail;
}

function render() {
  const current = rows();
  for (const name of ROWS) showRow(name, current[name]);
  // What the relay candidates themselves said (RTCIceCandidate.relayProtocol), for the tests and IT.
  const protocols = new Set((state.probes ?? []).map((p) => p.relayProtocol).filter(Boolean));
  document.querySelector('[data-check="relay"]').dataset.relayProtocols = [...protocols].sort().join(",");
  const statuses = Object.fromEntries(ROWS.map((name) => [name, current[name].status]));
  if (current.server.status === "warning") {
    // Answered, but slowly: advice on latency, not on reaching the server.
    statuses.server = "ok";
    statuses.latency = "warning";
  }
  const done = ROWS.every((name) => current[name].status !== null || name === "speaker");
  const verdict = $("precall-verdict");
  if (done) {
    const values = Object.values(statuses);
    const worst = values.includes("failed") ? "failed" : values.includes("warning") ? "warning" : "ok";
    verdict.hidden = false;
    verdict.dataset.result = worst;
    verdict.textContent = { ok: L.allGood, warning: L.someWarnings, failed: L.someFailed }[worst];
  }
  const host = relayHost(state.probes ?? [], data.host);
  const advice = adviceKeys(statuses).map((key) => format(L[key], { host }));
  $("advice").replaceChildren(...advice.map((text) => Object.assign(document.createElement("li"), { textContent: text })));
  $("advice").hidden = $("advice-heading").hidden = advice.length === 0;
  $("summary-text").value = summaryText({
    title: L.summaryTitle,
    userAgent: navigator.userAgent,
    when: new Date().toString(),
    host: data.host,
    rows: ROWS.map((name) => ({
      label: ROW_LABELS[name],
      word: current[name].status ? statusWord(current[name].status, L) : L.notChecked,
      detail: name === "browser" ? "" : current[name].detail.replaceAll("\n", "; "),
    })),
    notes: advice,
  });
}

async function startMedia() {
  stopMeter();
  stopStream(stream);
  try {
    stream = await getMedia();
  } catch {
    try {
      stream = await getMedia({ audio: true, video: false }); // one device may fail alone
    } catch {
      stream = null;
    }
  }
  $("self-preview").srcObject = stream;
  const live = (kind) => Boolean(stream?.getTracks().some((t) => t.kind === kind && t.readyState === "live"));
  state.camera = live("video");
  state.microphone = live("audio");
  const meter = $("mic-level");
  stopMeter = startLevelMeter(stream, (level) => {
    meter.value = level;
    meter.textContent = String(level);
  });
  render();
}

async function runTest() {
  $("run-again").disabled = true;
  const speaker = state.speaker ?? null; // an answer already given stands
  state = { browser: browserSupported(), camera: null, microphone: null, speaker, rtt: null, down: null, up: null };
  state.probes = null;
  render();
  const verdict = $("precall-verdict");
  Object.assign(verdict, { hidden: false, textContent: L.running });
  verdict.dataset.result = "checking";
  await startMedia();
  await measureNetwork(data, {
    onStep: (step, result) => {
      state[step === "relay" ? "probes" : step] = result ?? [];
      render();
    },
  });
  $("run-again").disabled = false;
}

$("play-sound").addEventListener("click", async () => {
  $("play-sound").disabled = true;
  await playTestSound().catch(() => {});
  $("play-sound").disabled = false;
  $("speaker-question").hidden = false;
  $("heard-yes").focus();
});
for (const [id, answer] of [
  ["heard-yes", "ok"],
  ["heard-no", "failed"],
]) {
  $(id).addEventListener("click", () => {
    state.speaker = answer;
    $("speaker-question").hidden = true;
    render();
  });
}
$("run-again").addEventListener("click", runTest);
$("copy-summary").addEventListener("click", async () => {
  const text = $("summary-text");
  try {
    await navigator.clipboard.writeText(text.value);
    $("copy-status").textContent = L.copied;
  } catch {
    text.select();
    $("copy-status").textContent = L.copyFailed;
  }
});
const note = $("thresholds-note");
if (note) note.textContent = format(L.thresholdsNote, { warn: data.thresholds.warnKbps, block: data.thresholds.blockKbps });
window.addEventListener("pagehide", () => {
  stopMeter();
  stopStream(stream);
});
runTest();
