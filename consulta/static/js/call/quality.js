// Connection quality to each other participant, from getStats() every 2 s (getStats costs
// CPU on a busy phone; quality does not change faster than people can read it).
//
// Round-trip time: the selected ICE candidate pair's currentRoundTripTime. Packet loss: what
// was lost of what should have arrived on every inbound RTP stream since the last reading.
// Plain words for people, the numbers for whoever asks (title / aria-description):
//   good   round trip under 150 ms and loss under 2 %  (a conversation feels natural)
//   fair   round trip under 400 ms and loss under 8 %  (noticeable, still usable)
//   poor   anything worse

export const QUALITY_INTERVAL_MS = 2_000;

export function grade({ rttMs, lossPercent }) {
  if (rttMs === null && lossPercent === null) return null;
  const rtt = rttMs ?? 0;
  const loss = lossPercent ?? 0;
  if (rtt < 150 && loss < 2) return "good";
  if (rtt < 400 && loss < 8) return "fair";
  return "poor";
}

// One reading of a peer's stats report: round trip, and loss since `previous` (its counters).
export function readStats(report, previous) {
  let pair = null;
  let lost = 0;
  let received = 0;
  const pairs = new Map();
  report.forEach((stat) => {
    if (stat.type === "transport" && stat.selectedCandidatePairId) pair = stat.selectedCandidatePairId;
    if (stat.type === "candidate-pair") pairs.set(stat.id, stat);
    if (stat.type === "inbound-rtp") {
      lost += Math.max(0, stat.packetsLost ?? 0);
      received += stat.packetsReceived ?? 0;
    }
  });
  const selected = pairs.get(pair) ?? [...pairs.values()].find((p) => p.nominated && p.state === "succeeded");
  const rtt = selected?.currentRoundTripTime;
  // Counters that went back: a new connection to the same peer, counting from zero.
  if (previous && (lost < previous.lost || received < previous.received)) previous = null;
  const dLost = lost - (previous?.lost ?? 0);
  const dReceived = received - (previous?.received ?? 0);
  const expected = dLost + dReceived;
  return {
    counters: { lost, received },
    rttMs: typeof rtt === "number" ? Math.round(rtt * 1000) : null,
    lossPercent: expected > 0 ? Math.max(0, (100 * dLost) / expected) : null,
  };
}

export class QualityMonitor {
  #transport;
  #onQuality;
  #previous = new Map(); // peerId → counters of the last reading
  #timer = null;
  #busy = false;

  // transport: peerIds, connectionState(peerId), stats(peerId) (transport.js);
  // onQuality(peerId, {level, rttMs, lossPercent}).
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

  async #sample() {
    if (this.#busy) return; // a slow getStats() must not pile up
    this.#busy = true;
    try {
      const transport = this.#transport;
      const peerIds = transport.peerIds;
      for (const peerId of this.#previous.keys()) if (!peerIds.includes(peerId)) this.#previous.delete(peerId);
      await Promise.all(
        peerIds.map(async (peerId) => {
          if (transport.connectionState(peerId) !== "connected") return;
          const report = await transport.stats(peerId);
          if (!report) return;
          const reading = readStats(report, this.#previous.get(peerId));
          this.#previous.set(peerId, reading.counters);
          if (this.#timer === null) return;
          const { rttMs, lossPercent } = reading;
          this.#onQuality(peerId, { level: grade(reading), rttMs, lossPercent });
        }),
      );
    } catch (error) {
      console.warn("Quality: getStats failed", error);
    } finally {
      this.#busy = false;
    }
  }
}
