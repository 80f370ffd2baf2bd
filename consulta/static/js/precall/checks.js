// The measurements of the pre-call test and the entry check, in the browser: browser support,
// the microphone's level, a test sound, round trip, upload and download bandwidth to the
// Consulta server, and STUN/TURN reachability. No verdicts here: verdict.js judges the figures.
import { iceUrls, median } from "./verdict.js";

const KB = 1024;

export function browserSupported() {
  return Boolean(
    window.RTCPeerConnection &&
      navigator.mediaDevices?.getUserMedia &&
      window.WebSocket &&
      (window.AudioContext || window.webkitAudioContext) &&
      window.fetch,
  );
}

function audioContext() {
  const Context = window.AudioContext || window.webkitAudioContext;
  return new Context();
}

// Calls onLevel(0..100) about ten times a second with the microphone's loudness (RMS of the
// analyser's waveform); returns a function that stops it.
export function startLevelMeter(stream, onLevel) {
  if (!stream?.getAudioTracks().length) return () => {};
  const context = audioContext();
  // Browsers start an AudioContext made without a click suspended: try now, and at the next click.
  const resume = () => context.resume().catch(() => {});
  resume();
  document.addEventListener("pointerdown", resume, { once: true });
  document.addEventListener("keydown", resume, { once: true });
  const analyser = context.createAnalyser();
  analyser.fftSize = 1024;
  context.createMediaStreamSource(stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    // RMS of a loud voice is about 0.3: scaled so that speaking fills most of the meter.
    onLevel(Math.min(100, Math.round(Math.sqrt(sum / samples.length) * 300)));
  }, 100);
  return () => {
    clearInterval(timer);
    document.removeEventListener("pointerdown", resume);
    document.removeEventListener("keydown", resume);
    context.close().catch(() => {});
  };
}

// A one-second tone made by WebAudio (no sound file to fetch); resolves when it has played.
export async function playTestSound(seconds = 1) {
  const context = audioContext();
  await context.resume().catch(() => {});
  const oscillator = context.createOscillator();
  const gain = context.createGain();
  oscillator.frequency.value = 660;
  gain.gain.setValueAtTime(0.0001, context.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.3, context.currentTime + 0.05);
  gain.gain.exponentialRampToValueAtTime(0.0001, context.currentTime + seconds);
  oscillator.connect(gain).connect(context.destination);
  oscillator.start();
  oscillator.stop(context.currentTime + seconds);
  await new Promise((resolve) => {
    oscillator.onended = resolve;
  });
  await context.close().catch(() => {});
}

// The median of `count` WebSocket ping round trips (ms) on one socket; null when the server
// does not answer. {rttMs, samples}.
export function measureRoundTrip(url, { count = 5, timeoutMs = 8000 } = {}) {
  return new Promise((resolve) => {
    const samples = [];
    let socket;
    let sentAt = 0;
    const done = () => {
      clearTimeout(timer);
      socket?.close();
      resolve({ rttMs: samples.length ? Math.round(median(samples)) : null, samples });
    };
    const timer = setTimeout(done, timeoutMs);
    const ping = () => {
      sentAt = performance.now();
      socket.send(JSON.stringify({ type: "ping" }));
    };
    try {
      socket = new WebSocket(url);
    } catch {
      return done();
    }
    socket.onopen = ping;
    socket.onerror = done;
    socket.onmessage = (event) => {
      let type = "";
      try {
        type = JSON.parse(event.data).type;
      } catch {
        return;
      }
      if (type !== "pong") return;
      samples.push(performance.now() - sentAt);
      if (samples.length >= count) done();
      else ping();
    };
  });
}

// One download of `size` bytes, read as a stream so that a transfer cut off at the deadline
// still tells how much arrived. {bytes, ms, complete} or null (the server refused or failed).
async function downloadOnce(url, size, leftMs) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), leftMs);
  const started = performance.now();
  let bytes = 0;
  try {
    const response = await fetch(`${url}?bytes=${size}`, {
      cache: "no-store",
      credentials: "same-origin",
      signal: controller.signal,
    });
    if (!response.ok) return null;
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
    }
    return { bytes, ms: performance.now() - started, complete: true };
  } catch {
    if (!controller.signal.aborted) return null;
    return { bytes, ms: performance.now() - started, complete: false };
  } finally {
    clearTimeout(timer);
  }
}

// One upload of `size` random bytes. {bytes, ms, complete} or null.
async function uploadOnce(url, csrfToken, size, leftMs) {
  const body = new Uint8Array(size);
  // getRandomValues fills at most 64 KiB at a time; random so that no proxy can compress it.
  for (let offset = 0; offset < size; offset += 65536) crypto.getRandomValues(body.subarray(offset, offset + 65536));
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), leftMs);
  const started = performance.now();
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/octet-stream", "X-CSRFToken": csrfToken },
      body,
      cache: "no-store",
      credentials: "same-origin",
      signal: controller.signal,
    });
    if (!response.ok) return null;
    await response.arrayBuffer();
    return { bytes: size, ms: performance.now() - started, complete: true };
  } catch {
    return controller.signal.aborted ? { bytes: 0, ms: performance.now() - started, complete: false } : null;
  } finally {
    clearTimeout(timer);
  }
}

// Transfers that grow (from 32 KiB, aiming at about 1.2 s each) until one takes at least a
// second, the largest size is reached or the time budget is spent; kbit/s of the last complete
// transfer. A first transfer cut off by the budget gives an upper bound ("less than").
// {kbps, bytes, ms, transfers, capped} or {kbps: null, ...} when nothing could be measured.
async function growingTransfer(once, { budgetMs, startBytes = 32 * KB, maxBytes = 1024 * KB, enoughMs = 1000 }) {
  const started = performance.now();
  let size = startBytes;
  let last = null;
  let transfers = 0;
  for (;;) {
    const leftMs = budgetMs - (performance.now() - started);
    if (leftMs <= 50) break;
    const result = await once(size, leftMs);
    transfers += 1;
    if (result === null) return { kbps: null, transfers, failed: true };
    if (!result.complete) {
      if (last) break; // the previous complete transfer stands
      // Cut off: what arrived by the deadline, or (nothing known) an upper bound: `size` bytes
      // take longer than this.
      const bits = (result.bytes || size) * 8;
      return { kbps: Math.floor(bits / result.ms), bytes: result.bytes, ms: result.ms, transfers, capped: true };
    }
    last = result;
    if (result.ms >= enoughMs || size >= maxBytes) break;
    const aimed = Math.round((size * 1200) / Math.max(result.ms, 1));
    size = Math.min(maxBytes, Math.max(size * 2, aimed));
  }
  if (!last) return { kbps: null, transfers, failed: true };
  return { kbps: Math.round((last.bytes * 8) / last.ms), bytes: last.bytes, ms: last.ms, transfers, capped: false };
}

// maxBytes: the largest transfer (the entry check's is small: a patient on mobile data pays
// for every byte, and it only has to tell the clinic's levels apart).
export function measureDownload(url, { budgetMs = 6000, maxBytes = 1024 * KB } = {}) {
  return growingTransfer((size, leftMs) => downloadOnce(url, size, leftMs), { budgetMs, maxBytes });
}

export function measureUpload(url, csrfToken, { budgetMs = 6000, maxBytes = 1024 * KB } = {}) {
  return growingTransfer((size, leftMs) => uploadOnce(url, csrfToken, size, leftMs), { budgetMs, maxBytes });
}

// One throwaway peer connection with only this ICE server URL (relay-only for TURN): a relay
// candidate proves the TURN server reachable over its transport (the candidate's relayProtocol
// when the browser tells it), a server-reflexive one that STUN answers.
async function probeIceUrl({ url, server, kind, transport }, timeoutMs) {
  const config = { urls: url };
  if (server.username) Object.assign(config, { username: server.username, credential: server.credential });
  const pc = new RTCPeerConnection({ iceServers: [config], iceTransportPolicy: kind === "turn" ? "relay" : "all" });
  const wanted = kind === "turn" ? "relay" : "srflx";
  try {
    const found = new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      pc.onicecandidate = (event) => {
        if (event.candidate && event.candidate.type !== wanted) return;
        clearTimeout(timer);
        resolve(event.candidate); // null: gathering ended without one
      };
    });
    pc.createDataChannel("precall");
    await pc.setLocalDescription(await pc.createOffer());
    const candidate = await found;
    const relayProtocol = candidate ? candidate.relayProtocol || (await statsRelayProtocol(pc)) : null;
    return { url, kind, transport, reachable: Boolean(candidate), relayProtocol };
  } catch {
    return { url, kind, transport, reachable: false, relayProtocol: null };
  } finally {
    pc.close();
  }
}

// Chromium leaves RTCIceCandidate.relayProtocol empty for a UDP relay; its stats tell it.
async function statsRelayProtocol(pc) {
  let protocol = null;
  try {
    (await pc.getStats()).forEach((s) => {
      if (s.type === "local-candidate" && s.candidateType === "relay" && s.relayProtocol) protocol ??= s.relayProtocol;
    });
  } catch {
    // no stats: the URL's own transport stands (verdict.js)
  }
  return protocol;
}

// Every configured URL, probed at the same time. [] when none is configured.
export function checkIceServers(iceServers, { timeoutMs = 8000 } = {}) {
  return Promise.all(iceUrls(iceServers).map((entry) => probeIceUrl(entry, timeoutMs)));
}

export function socketUrl(path) {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
}

export function csrfToken() {
  return document.querySelector("input[name=csrfmiddlewaretoken]")?.value ?? "";
}

// Round trip, then download, then upload (one after the other: at the same time they would
// share the link and each measure half), with the ICE probes alongside (they carry almost
// nothing). onStep(name, result) as each ends: "rtt", "down", "up", "relay".
export async function measureNetwork(data, { onStep = () => {}, checkRelay = true, pingTimeoutMs = 8000 } = {}) {
  const probing = checkRelay ? checkIceServers(data.iceServers ?? []) : Promise.resolve(null);
  const rtt = await measureRoundTrip(socketUrl(data.pingUrl), { timeoutMs: pingTimeoutMs });
  onStep("rtt", rtt);
  const limits = { budgetMs: data.budgetMs, maxBytes: data.maxTransferBytes };
  const down = await measureDownload(data.downloadUrl, limits);
  onStep("down", down);
  const up = await measureUpload(data.uploadUrl, csrfToken(), limits);
  onStep("up", up);
  const probes = await probing;
  onStep("relay", probes);
  return { rtt, down, up, probes };
}
