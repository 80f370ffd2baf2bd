import assert from "node:assert/strict";
import { test } from "node:test";

import {
  adviceKeys,
  bandwidthText,
  bandwidthVerdict,
  entryVerdict,
  iceUrls,
  lowerKbps,
  median,
  parseIceUrl,
  relayHost,
  relayText,
  relayVerdict,
  rttStatus,
  summaryText,
} from "../../consulta/static/js/precall/verdict.js";

const LEVELS = { warnKbps: 330, blockKbps: 180 };
const ALL_OK = { browser: true, camera: true, microphone: true, server: true, downKbps: 2000, upKbps: 1500, relay: null };
const LABELS = {
  notMeasured: "not measured",
  kbps: "%(kbps)s kbit/s",
  bandwidthLessThan: "less than %(kbps)s kbit/s",
  bandwidthFigures: "Download %(down)s, upload %(up)s",
  reachable: "reachable",
  unreachable: "not reachable",
  notConfigured: "not configured",
  relayUrl: "%(url)s: %(transport)s %(result)s",
  stunUrl: "%(url)s (STUN): %(result)s",
  transportSummary: "UDP: %(udp)s, TCP: %(tcp)s, TLS: %(tls)s",
  relayDirect: "direct only",
  relayOnlyNote: "relay required",
};

test("the thresholds apply to the lower of upload and download", () => {
  assert.equal(lowerKbps(2000, 150), 150);
  assert.equal(lowerKbps(150, 2000), 150);
  assert.equal(lowerKbps(null, 2000), null);
  assert.deepEqual(bandwidthVerdict(2000, 170, LEVELS), { status: "failed", reason: "slow", lowerKbps: 170 });
  assert.deepEqual(bandwidthVerdict(250, 5000, LEVELS), { status: "warning", reason: "limited", lowerKbps: 250 });
  assert.deepEqual(bandwidthVerdict(330, 330, LEVELS), { status: "ok", reason: "", lowerKbps: 330 });
  // Exactly at the block level is not below it: a warning.
  assert.equal(bandwidthVerdict(180, 900, LEVELS).status, "warning");
  assert.equal(bandwidthVerdict(179, 900, LEVELS).status, "failed");
});

test("a level of 0 is switched off", () => {
  assert.equal(bandwidthVerdict(10, 10, { warnKbps: 330, blockKbps: 0 }).status, "warning");
  assert.equal(bandwidthVerdict(10, 10, { warnKbps: 0, blockKbps: 0 }).status, "ok");
  assert.equal(bandwidthVerdict(200, 200, { warnKbps: 0, blockKbps: 180 }).status, "ok");
});

test("a bandwidth that could not be measured fails as unmeasured", () => {
  assert.deepEqual(bandwidthVerdict(null, 500, LEVELS), { status: "failed", reason: "unmeasured", lowerKbps: null });
});

test("all checks fine: passed", () => {
  assert.deepEqual(entryVerdict(ALL_OK, { devicePolicy: "block", ...LEVELS }).outcome, "passed");
  const verdict = entryVerdict(ALL_OK, { devicePolicy: "warn", ...LEVELS });
  assert.deepEqual([verdict.outcome, verdict.failed, verdict.warned], ["passed", [], []]);
});

test("below the block level blocks whatever the device policy", () => {
  for (const devicePolicy of ["warn", "block"]) {
    const verdict = entryVerdict({ ...ALL_OK, upKbps: 120 }, { devicePolicy, ...LEVELS });
    assert.equal(verdict.outcome, "blocked");
    assert.deepEqual(verdict.failed, ["bandwidth"]);
    assert.deepEqual(verdict.blocking, ["bandwidth"]);
  }
});

test("between the levels warns and lets in", () => {
  const verdict = entryVerdict({ ...ALL_OK, downKbps: 250 }, { devicePolicy: "block", ...LEVELS });
  assert.deepEqual([verdict.outcome, verdict.failed, verdict.warned], ["warned", [], ["bandwidth"]]);
});

test("the device policy governs device, server, unmeasured bandwidth and relay failures", () => {
  const broken = { ...ALL_OK, camera: false, server: false, downKbps: null, relay: "failed" };
  const warned = entryVerdict(broken, { devicePolicy: "warn", ...LEVELS });
  assert.equal(warned.outcome, "warned");
  assert.deepEqual(warned.failed, ["camera", "server", "bandwidth", "relay"]);
  assert.deepEqual(warned.blocking, []);
  const blocked = entryVerdict(broken, { devicePolicy: "block", ...LEVELS });
  assert.equal(blocked.outcome, "blocked");
  assert.deepEqual(blocked.blocking, ["camera", "server", "bandwidth", "relay"]);
});

test("a slow bandwidth and a failed camera under warn: blocked by the bandwidth only", () => {
  const verdict = entryVerdict({ ...ALL_OK, camera: false, downKbps: 100 }, { devicePolicy: "warn", ...LEVELS });
  assert.equal(verdict.outcome, "blocked");
  assert.deepEqual(verdict.failed, ["camera", "bandwidth"]);
  assert.deepEqual(verdict.blocking, ["bandwidth"]);
});

test("ICE URLs: kind and transport", () => {
  assert.deepEqual(parseIceUrl("turn:relay.example.org:3478"), { kind: "turn", transport: "udp" });
  assert.deepEqual(parseIceUrl("turn:relay.example.org:3478?transport=tcp"), { kind: "turn", transport: "tcp" });
  assert.deepEqual(parseIceUrl("turns:relay.example.org:443?transport=tcp"), { kind: "turn", transport: "tls" });
  assert.deepEqual(parseIceUrl("stun:stun.example.org:3478"), { kind: "stun", transport: "udp" });
  const server = { urls: ["turn:a:3478", "turn:a:3478?transport=tcp"], username: "u", credential: "c" };
  const urls = iceUrls([{ urls: "stun:s:3478" }, server]);
  assert.deepEqual(
    urls.map((u) => [u.url, u.kind, u.transport, u.server.username]),
    [
      ["stun:s:3478", "stun", "udp", undefined],
      ["turn:a:3478", "turn", "udp", "u"],
      ["turn:a:3478?transport=tcp", "turn", "tcp", "u"],
    ],
  );
});

const udp = { url: "turn:a:3478", kind: "turn", transport: "udp", reachable: true, relayProtocol: "udp" };
const tcp = { url: "turn:a:3478?transport=tcp", kind: "turn", transport: "tcp", reachable: false, relayProtocol: null };

test("no STUN or TURN configured: direct connections, not a failure unless relays are required", () => {
  assert.deepEqual(relayVerdict([], {}), { status: "ok", direct: true, transports: { udp: null, tcp: null, tls: null } });
  assert.equal(relayVerdict([], { relayOnly: true }).status, "failed");
  assert.equal(relayText([], relayVerdict([]), {}, LABELS), "direct only");
});

test("relay reachability per transport, and the policy", () => {
  const verdict = relayVerdict([udp, tcp]);
  assert.deepEqual(verdict.transports, { udp: true, tcp: false, tls: null });
  assert.equal(verdict.status, "warning"); // direct calls may still work
  assert.equal(relayVerdict([udp, tcp], { relayOnly: true }).status, "ok"); // one relay is enough
  assert.equal(relayVerdict([{ ...udp, reachable: false }, tcp], { relayOnly: true }).status, "failed");
  assert.equal(relayVerdict([udp, { ...tcp, reachable: true }]).status, "ok");
  assert.equal(
    relayText([udp, tcp], verdict, { relayOnly: true }, LABELS),
    [
      "turn:a:3478: UDP reachable",
      "turn:a:3478?transport=tcp: TCP not reachable",
      "UDP: reachable, TCP: not reachable, TLS: not configured",
      "relay required",
    ].join("\n"),
  );
  assert.equal(relayHost([udp]), "a");
  assert.equal(relayHost([], "clinic.example.org"), "clinic.example.org");
});

test("figures in words", () => {
  assert.equal(bandwidthText({ kbps: 850 }, { kbps: 120, capped: true }, LABELS), "Download 850 kbit/s, upload less than 120 kbit/s");
  assert.equal(bandwidthText({ kbps: null }, null, LABELS), "Download not measured, upload not measured");
  assert.equal(rttStatus(50), "ok");
  assert.equal(rttStatus(900), "warning");
  assert.equal(rttStatus(null), "failed");
  assert.equal(median([30, 10, 20, 1000]), 25);
  assert.equal(median([]), null);
});

test("advice names what to try for each warning or failure, once", () => {
  assert.deepEqual(adviceKeys({ camera: "ok", bandwidth: "warning", latency: "warning" }), [
    "adviceNetwork",
    "adviceWifi",
    "adviceMobileData",
    "adviceLatency",
  ]);
  assert.deepEqual(adviceKeys({ camera: "failed", relay: "failed", speaker: null }), ["adviceCamera", "adviceRelay"]);
  assert.deepEqual(adviceKeys({ browser: "ok" }), []);
});

test("the summary lists every row with its word and figures", () => {
  const text = summaryText({
    title: "Test",
    userAgent: "UA",
    when: "now",
    host: "video.example.org",
    rows: [
      { label: "Bandwidth", word: "OK", detail: "Download 900 kbit/s, upload 800 kbit/s" },
      { label: "Browser", word: "OK", detail: "" },
    ],
    notes: ["Try a cable."],
  });
  assert.equal(
    text,
    "Test\nnow\nvideo.example.org\nUA\n\nBandwidth: OK (Download 900 kbit/s, upload 800 kbit/s)\nBrowser: OK\n\nTry a cable.",
  );
});
