// The verdicts of the pre-call test and the entry check: pure functions of measured results
// (no DOM, no network), shared by the public pre-call page and the patient entry page, and
// tested with `node --test` (tests/js/precall-verdict.test.js).
//
// A check's status is "ok", "warning" or "failed". The check names of the entry check's
// event are a fixed set (consulta/precall/schemas.py keeps the same list).

export const CHECK_NAMES = ["browser", "camera", "microphone", "server", "bandwidth", "relay"];
const DEVICE_CHECKS = ["browser", "camera", "microphone", "server"];

// Above this median round trip a call lags noticeably (the service aims for under 100 ms).
export const SLOW_RTT_MS = 400;

// "%(name)s" placeholders, as in the server's translated labels.
export function format(template, values = {}) {
  return String(template ?? "").replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));
}

export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!sorted.length) return null;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

// The figure the clinic's thresholds apply to: the lower of upload and download (null when
// either was not measured).
export function lowerKbps(downKbps, upKbps) {
  if (!Number.isFinite(downKbps) || !Number.isFinite(upKbps)) return null;
  return Math.min(downKbps, upKbps);
}

// {status, reason}: reason "unmeasured" (no figure: the transfer failed), "slow" (below the
// block level), "limited" (between block and warn) or "" (fine). A level of 0 is switched off.
export function bandwidthVerdict(downKbps, upKbps, { warnKbps = 0, blockKbps = 0 } = {}) {
  const lower = lowerKbps(downKbps, upKbps);
  if (lower === null) return { status: "failed", reason: "unmeasured", lowerKbps: null };
  if (blockKbps > 0 && lower < blockKbps) return { status: "failed", reason: "slow", lowerKbps: lower };
  if (warnKbps > 0 && lower < warnKbps) return { status: "warning", reason: "limited", lowerKbps: lower };
  return { status: "ok", reason: "", lowerKbps: lower };
}

export function rttStatus(rttMs) {
  if (!Number.isFinite(rttMs)) return "failed";
  return rttMs > SLOW_RTT_MS ? "warning" : "ok";
}

// What an ICE server URL is: {kind: "stun"|"turn", transport: "udp"|"tcp"|"tls"}.
export function parseIceUrl(url) {
  const text = String(url ?? "").trim();
  const scheme = text.split(":", 1)[0].toLowerCase();
  const query = new URLSearchParams(text.includes("?") ? text.slice(text.indexOf("?") + 1) : "");
  const asked = (query.get("transport") || "").toLowerCase();
  if (scheme === "turns") return { kind: "turn", transport: "tls" };
  if (scheme === "turn") return { kind: "turn", transport: asked === "tcp" ? "tcp" : "udp" };
  if (scheme === "stuns") return { kind: "stun", transport: "tls" };
  return { kind: "stun", transport: asked === "tcp" ? "tcp" : "udp" };
}

// Every URL of an RTCPeerConnection iceServers list, each with the server's credentials.
export function iceUrls(iceServers = []) {
  const found = [];
  for (const server of iceServers) {
    const urls = Array.isArray(server.urls) ? server.urls : [server.urls];
    for (const url of urls.filter(Boolean)) found.push({ url, server, ...parseIceUrl(url) });
  }
  return found;
}

// probes: [{url, kind, transport, reachable, relayProtocol?}] from checks.js; relayOnly: the
// deployment allows relayed calls only (CALL_ICE_TRANSPORT_POLICY=relay).
// {status, direct, transports: {udp, tcp, tls}: true|false|null (null: not configured)}.
export function relayVerdict(probes = [], { relayOnly = false } = {}) {
  const turns = probes.filter((p) => p.kind === "turn");
  const transports = { udp: null, tcp: null, tls: null };
  for (const probe of turns) {
    const transport = probe.reachable && probe.relayProtocol ? probe.relayProtocol : probe.transport;
    transports[transport] = Boolean(transports[transport]) || Boolean(probe.reachable);
  }
  if (!probes.length) return { status: relayOnly ? "failed" : "ok", direct: true, transports };
  const anyRelay = turns.some((p) => p.reachable);
  if (relayOnly) return { status: anyRelay ? "ok" : "failed", direct: false, transports };
  // Direct connections may still work when a relay or STUN server is out of reach.
  return { status: probes.every((p) => p.reachable) ? "ok" : "warning", direct: false, transports };
}

// The entry check's outcome. results: {browser, camera, microphone, server: true|false,
// downKbps, upKbps: number|null, relay: "ok"|"warning"|"failed"|null (null: not checked)}.
// The clinic's device_check policy ("warn"|"block") governs the device and server checks, a
// relay that cannot be reached and a bandwidth that could not be measured; the thresholds
// govern a measured bandwidth on their own. {outcome, failed, warned, blocking, bandwidth}.
export function entryVerdict(results, { devicePolicy = "warn", warnKbps = 0, blockKbps = 0 } = {}) {
  const failed = [];
  const warned = [];
  const blocking = [];
  const fail = (name, blocks) => {
    failed.push(name);
    if (blocks) blocking.push(name);
  };
  for (const name of DEVICE_CHECKS) if (!results[name]) fail(name, devicePolicy === "block");
  const bandwidth = bandwidthVerdict(results.downKbps, results.upKbps, { warnKbps, blockKbps });
  if (bandwidth.reason === "unmeasured") fail("bandwidth", devicePolicy === "block");
  else if (bandwidth.reason === "slow") fail("bandwidth", true);
  else if (bandwidth.reason === "limited") warned.push("bandwidth");
  if (results.relay === "failed") fail("relay", devicePolicy === "block");
  else if (results.relay === "warning") warned.push("relay");
  const outcome = blocking.length ? "blocked" : failed.length || warned.length ? "warned" : "passed";
  return { outcome, failed, warned, blocking, bandwidth };
}

// The label keys of the advice for a set of results: each names what to try. statuses:
// {check name: status}; speaker, latency and the pre-call page's rows use the same keys.
const ADVICE = {
  browser: ["adviceBrowser"],
  camera: ["adviceCamera"],
  microphone: ["adviceMicrophone"],
  speaker: ["adviceSpeaker"],
  server: ["adviceServer"],
  latency: ["adviceLatency", "adviceNetwork"],
  bandwidth: ["adviceNetwork", "adviceWifi", "adviceMobileData"],
  relay: ["adviceRelay"],
};

export function adviceKeys(statuses) {
  const keys = [];
  for (const [name, status] of Object.entries(statuses)) {
    if (status !== "warning" && status !== "failed") continue;
    for (const key of ADVICE[name] ?? []) if (!keys.includes(key)) keys.push(key);
  }
  return keys;
}

// The text a person copies for their IT support: no personal data, only the browser's own
// description, the figures, the time and the server. rows: [{label, word, detail}].
export function summaryText({ title, userAgent, when, host, rows, notes = [] }) {
  const lines = [title, `${when}`, `${host}`, `${userAgent}`, ""];
  for (const row of rows) lines.push(`${row.label}: ${row.word}${row.detail ? ` (${row.detail})` : ""}`);
  if (notes.length) lines.push("", ...notes);
  return lines.join("\n");
}

// --- Words for the figures (labels from the server's page-data) ------------------------------

export function statusWord(status, labels) {
  return { ok: labels.statusOk, warning: labels.statusWarning, failed: labels.statusFailed }[status] ?? labels.checking;
}

// One direction's figure: "850 kbit/s", "less than 120 kbit/s" (cut off by the time budget),
// or "not measured".
export function kbpsText(result, labels) {
  if (!result || !Number.isFinite(result.kbps)) return labels.notMeasured;
  return format(result.capped ? labels.bandwidthLessThan : labels.kbps, { kbps: result.kbps });
}

export function bandwidthText(down, up, labels) {
  return format(labels.bandwidthFigures, { down: kbpsText(down, labels), up: kbpsText(up, labels) });
}

export function rttText(rttMs, labels) {
  return Number.isFinite(rttMs) ? format(labels.rttFigure, { ms: Math.round(rttMs) }) : labels.noAnswer;
}

// The relay row's lines: one per configured URL, then UDP/TCP/TLS, and the policy's note.
export function relayText(probes, verdict, { relayOnly = false } = {}, labels) {
  if (verdict.direct) return relayOnly ? labels.relayOnlyNote : labels.relayDirect;
  const word = (reachable) => (reachable ? labels.reachable : labels.unreachable);
  const lines = probes.map((p) =>
    p.kind === "turn"
      ? format(labels.relayUrl, { url: p.url, transport: p.transport.toUpperCase(), result: word(p.reachable) })
      : format(labels.stunUrl, { url: p.url, result: word(p.reachable) }),
  );
  const transport = (value) => (value === null ? labels.notConfigured : word(value));
  const { udp, tcp, tls } = verdict.transports;
  if (probes.some((p) => p.kind === "turn")) {
    lines.push(format(labels.transportSummary, { udp: transport(udp), tcp: transport(tcp), tls: transport(tls) }));
  }
  if (relayOnly) lines.push(labels.relayOnlyNote);
  return lines.join("\n");
}

// The host of the first TURN URL ("turn:relay.example.org:3478?transport=tcp"), for the advice.
export function relayHost(probes, fallback = "") {
  const turn = probes.find((p) => p.kind === "turn");
  if (!turn) return fallback;
  const rest = turn.url.replace(/^[a-z]+:/i, "").split("?")[0];
  return rest.startsWith("[") ? rest.slice(0, rest.indexOf("]") + 1) : rest.split(":")[0];
}
