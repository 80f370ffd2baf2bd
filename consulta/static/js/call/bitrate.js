// Video bitrate for a full mesh. Each browser sends one video stream to every other person,
// so its upload is (people − 1) × the per-stream bitrate: the more people, the less each
// stream may take. The table (also in docs/calls.md) keeps a six-person call near 350 kbit/s
// per stream, the figure the reference service gives for peer-to-peer calls:
//
//   people in the call   per video stream    resolution          the sender's total upload
//   2                    1,000 kbit/s        as captured         1.0 Mbit/s
//   3                      700 kbit/s        as captured         1.4 Mbit/s
//   4                      500 kbit/s        as captured         1.5 Mbit/s
//   5–6                    350 kbit/s        halved (320×240)    1.4–1.75 Mbit/s
//
// Audio (Opus, about 30–40 kbit/s a stream) comes on top and is left alone. A shared screen
// keeps its full resolution (text must stay readable); the encoder lowers its frame rate instead.

const TABLE = [
  { upTo: 2, maxBitrate: 1_000_000, scaleResolutionDownBy: 1 },
  { upTo: 3, maxBitrate: 700_000, scaleResolutionDownBy: 1 },
  { upTo: 4, maxBitrate: 500_000, scaleResolutionDownBy: 1 },
  { upTo: Infinity, maxBitrate: 350_000, scaleResolutionDownBy: 2 },
];

export function videoEncoding(people, { sharing = false } = {}) {
  const row = TABLE.find((r) => people <= r.upTo);
  return { maxBitrate: row.maxBitrate, scaleResolutionDownBy: sharing ? 1 : row.scaleResolutionDownBy };
}

const RETRY_MS = 1_000;
const MAX_RETRIES = 10;

// Applies the table to everything we send, through the transport (transport.js,
// setVideoLimits), after every join and leave. One run at a time (a getParameters /
// setParameters pair must not interleave with another on the same sender); what the
// transport cannot apply yet (a connection not yet negotiated, or negotiating) is tried
// again a little later.
export class BitrateControl {
  #transport;
  #state;
  #running = false;
  #again = false;
  #retry = null;
  #retries = 0;
  #stopped = false;

  // state() → {people, sharing}, read at the moment of applying.
  constructor({ transport, state }) {
    this.#transport = transport;
    this.#state = state;
  }

  update() {
    this.#retries = 0;
    this.#run();
  }

  stop() {
    this.#stopped = true;
    clearTimeout(this.#retry);
  }

  async #run() {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    try {
      do {
        this.#again = false;
        const { people, sharing } = this.#state();
        const settled = await this.#transport.setVideoLimits(null, videoEncoding(people, { sharing }));
        if (!settled) this.#later();
      } while (this.#again && !this.#stopped);
    } finally {
      this.#running = false;
    }
  }

  #later() {
    if (this.#retry !== null || this.#retries >= MAX_RETRIES) return;
    this.#retries += 1;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.#run();
    }, RETRY_MS);
  }
}
