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

function read(report, previous) {
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
  #connections;
  #onQuality;
  #previous = new Map(); // RTCPeerConnection → counters of the last reading
  #timer = null;
  #busy = false;

  // connections(): Map peerId → RTCPeerConnection; onQuality(peerId, {level, rttMs, lossPercent}).
  constructor({ connections, onQuality }) {
    this.#connections = connections;
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
      const connections = this.#connections();
      for (const pc of this.#previous.keys()) if (![...connections.values()].includes(pc)) this.#previous.delete(pc);
      await Promise.all(
        [...connections].map(async ([peerId, pc]) => {
          if (pc.connectionState !== "connected") return;
          const reading = read(await pc.getStats(), this.#previous.get(pc));
          this.#previous.set(pc, reading.counters);
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
