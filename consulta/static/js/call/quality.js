// Connection quality to each other participant, from getStats() every 2 s (getStats costs
// CPU on a busy phone; quality does not change faster than people can read it).
//
// Round-trip time: the selected ICE candidate pair's currentRoundTripTime. Packet loss: what
// was lost of what should have arrived on every inbound RTP stream since the last reading.
// Bandwidth: the selected pair's bytes received and sent since the last reading, in kbit/s.
// Direct or relayed: the selected pair's local or remote candidate of type "relay" (a TURN
// server), with the relay's protocol (udp, tcp, tls). Video freezes: inbound-rtp freezeCount
// and totalFreezesDuration.
// Plain words for people, the numbers for whoever asks (title / aria-description):
//   good   round trip under 150 ms and loss under 2 %  (a conversation feels natural)
//   fair   round trip under 400 ms and loss under 8 %  (noticeable, still usable)
//   poor   anything worse
//
// Kept: `QualitySummary` gathers the readings of the whole call into the `quality` message the
// page sends over the call socket (docs/signalling.md): medians, freezes, reconnects, relayed.

export const QUALITY_INTERVAL_MS = 2_000;
// At most this many samples of each figure are kept (an hour of one connection at 2 s).
const MAX_SAMPLES = 1_800;

export function grade({ rttMs, lossPercent }) {
  if (rttMs === null && lossPercent === null) return null;
  const rtt = rttMs ?? 0;
  const loss = lossPercent ?? 0;
  if (rtt < 150 && loss < 2) return "good";
  if (rtt < 400 && loss < 8) return "fair";
  return "poor";
}

function collect(report) {
  const found = { pairId: null, pairs: new Map(), candidates: new Map(), lost: 0, received: 0, freezes: 0, freezeSeconds: 0, at: 0 };
  report.forEach((stat) => {
    if (typeof stat.timestamp === "number") found.at = Math.max(found.at, stat.timestamp);
    if (stat.type === "transport" && stat.selectedCandidatePairId) found.pairId = stat.selectedCandidatePairId;
    if (stat.type === "candidate-pair") found.pairs.set(stat.id, stat);
    if (stat.type === "local-candidate" || stat.type === "remote-candidate") found.candidates.set(stat.id, stat);
    if (stat.type === "inbound-rtp") {
      found.lost += Math.max(0, stat.packetsLost ?? 0);
      found.received += stat.packetsReceived ?? 0;
      if (stat.kind === "video") {
        found.freezes += stat.freezeCount ?? 0;
        found.freezeSeconds += stat.totalFreezesDuration ?? 0;
      }
    }
  });
  return found;
}

function perSecond(bytes, previousBytes, ms) {
  if (previousBytes === null || ms <= 0 || bytes < previousBytes) return null;
  return Math.round(((bytes - previousBytes) * 8) / ms); // bits per millisecond = kbit/s
}

// One reading of a peer's stats report, against `previous` (the counters of the last reading):
// {counters, reset, rttMs, lossPercent, kbpsIn, kbpsOut, relayed, relayProtocol, freezes,
// freezeSeconds}. Null where not measured (yet).
export function readStats(report, previous) {
  const found = collect(report);
  const { pairs, candidates } = found;
  const selected = pairs.get(found.pairId) ?? [...pairs.values()].find((p) => p.nominated && p.state === "succeeded");
  const rtt = selected?.currentRoundTripTime;
  const bytesIn = selected?.bytesReceived ?? 0;
  const bytesOut = selected?.bytesSent ?? 0;
  // Counters that went back: a new connection to the same peer, counting from zero.
  const reset = Boolean(
    previous && (found.lost < previous.lost || found.received < previous.received || found.freezes < previous.freezes),
  );
  const before = reset ? null : previous;
  const dLost = found.lost - (before?.lost ?? 0);
  const dReceived = found.received - (before?.received ?? 0);
  const expected = dLost + dReceived;
  const ms = before ? found.at - before.at : 0;
  const local = candidates.get(selected?.localCandidateId);
  const remote = candidates.get(selected?.remoteCandidateId);
  const relayed = selected ? local?.candidateType === "relay" || remote?.candidateType === "relay" : null;
  return {
    counters: { lost: found.lost, received: found.received, bytesIn, bytesOut, at: found.at, freezes: found.freezes },
    reset,
    rttMs: typeof rtt === "number" ? Math.round(rtt * 1000) : null,
    lossPercent: expected > 0 ? Math.max(0, (100 * dLost) / expected) : null,
    kbpsIn: perSecond(bytesIn, before?.bytesIn ?? null, ms),
    kbpsOut: perSecond(bytesOut, before?.bytesOut ?? null, ms),
    relayed,
    relayProtocol: relayed && local?.candidateType === "relay" ? (local.relayProtocol ?? null) : null,
    freezes: found.freezes,
    freezeSeconds: found.freezeSeconds,
  };
}

export function median(values) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function keep(samples, value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return;
  samples.push(value);
  if (samples.length > MAX_SAMPLES) samples.splice(0, samples.length - MAX_SAMPLES);
}

// The whole call's figures for the `quality` message: median round trip and loss over every
// reading of every connection, median total received and sent bitrate over the readings,
// video freezes (of replaced connections too), reconnects and whether any connection was relayed.
export class QualitySummary {
  #rtt = [];
  #loss = [];
  #kbpsIn = [];
  #kbpsOut = [];
  #freezes = new Map(); // peerId → {carried: {count, seconds}, current: {count, seconds}}
  #states = new Map(); // peerId → {connectedOnce, away}
  #reconnects = 0;
  #relayed = false;

  // One round of readings: [{peerId, reading}], taken together.
  add(readings) {
    let kbpsIn = null;
    let kbpsOut = null;
    for (const { peerId, reading } of readings) {
      keep(this.#rtt, reading.rttMs);
      keep(this.#loss, reading.lossPercent);
      if (reading.kbpsIn !== null) kbpsIn = (kbpsIn ?? 0) + reading.kbpsIn;
      if (reading.kbpsOut !== null) kbpsOut = (kbpsOut ?? 0) + reading.kbpsOut;
      if (reading.relayed) this.#relayed = true;
      const freezes = this.#freezes.get(peerId) ?? { carried: { count: 0, seconds: 0 }, current: { count: 0, seconds: 0 } };
      if (reading.reset) {
        freezes.carried.count += freezes.current.count;
        freezes.carried.seconds += freezes.current.seconds;
      }
      freezes.current = { count: reading.freezes ?? 0, seconds: reading.freezeSeconds ?? 0 };
      this.#freezes.set(peerId, freezes);
    }
    keep(this.#kbpsIn, kbpsIn);
    keep(this.#kbpsOut, kbpsOut);
  }

  // A connection's state as it changes: connected again after disconnected or failed, or a
  // replaced connection (a new one to someone once connected), is a reconnect.
  connectionState(peerId, state) {
    const known = this.#states.get(peerId) ?? { connectedOnce: false, away: false };
    if (state === "connected") {
      if (known.connectedOnce && known.away) this.#reconnects += 1;
      known.connectedOnce = true;
      known.away = false;
    } else if (known.connectedOnce && state !== "closed") {
      known.away = true;
    }
    this.#states.set(peerId, known);
  }

  summary() {
    let freezes = 0;
    let freezeSeconds = 0;
    for (const { carried, current } of this.#freezes.values()) {
      freezes += carried.count + current.count;
      freezeSeconds += carried.seconds + current.seconds;
    }
    const whole = (value) => (value === null ? null : Math.round(value));
    const loss = median(this.#loss);
    return {
      type: "quality",
      rtt_ms: whole(median(this.#rtt)),
      loss_pct: loss === null ? null : Math.min(100, Math.round(loss * 100) / 100),
      kbps_in: whole(median(this.#kbpsIn)),
      kbps_out: whole(median(this.#kbpsOut)),
      freezes,
      freeze_seconds: Math.round(freezeSeconds * 10) / 10,
      reconnects: this.#reconnects,
      relayed: this.#relayed,
    };
  }
}

export class QualityMonitor {
  #transport;
  #onQuality;
  #previous = new Map(); // peerId → counters of the last reading
  #timer = null;
  #busy = false;
  summary = new QualitySummary();

  // transport: peerIds, connectionState(peerId), stats(peerId) (transport.js);
  // onQuality(peerId, {level, rttMs, lossPercent, kbpsIn, kbpsOut, relayed, relayProtocol, freezes,
  // freezeSeconds}): readStats's figures.
  constructor({ transport, onQuality }) {
    this.#transport = transport;
    this.#onQuality = onQuality;
  }

  start() {
    if (this.#timer === null) this.#timer = setInterval(() => this.#sample(), QUALITY_INTERVAL_MS);
  }

  stop() {
    clearInterval(this.#timer);
    this.#timer = null;
  }

  peerState(peerId, state) {
    this.summary.connectionState(peerId, state);
  }

  async #sample() {
    if (this.#busy) return; // a slow getStats() must not pile up
    this.#busy = true;
    try {
      const transport = this.#transport;
      const peerIds = transport.peerIds;
      for (const peerId of this.#previous.keys()) if (!peerIds.includes(peerId)) this.#previous.delete(peerId);
      const readings = await Promise.all(peerIds.map((peerId) => this.#read(peerId)));
      if (this.#timer === null) return;
      const taken = readings.filter(Boolean);
      this.summary.add(taken);
      for (const { peerId, reading } of taken) {
        const { counters: _counters, reset: _reset, ...figures } = reading;
        this.#onQuality(peerId, { level: grade(reading), ...figures });
      }
    } catch (error) {
      console.warn("Quality: getStats failed", error);
    } finally {
      this.#busy = false;
    }
  }

  async #read(peerId) {
    if (this.#transport.connectionState(peerId) !== "connected") return null;
    const report = await this.#transport.stats(peerId);
    if (!report) return null;
    const reading = readStats(report, this.#previous.get(peerId));
    this.#previous.set(peerId, reading.counters);
    return { peerId, reading };
  }
}
