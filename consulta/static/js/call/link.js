// One RTCPeerConnection to one other peer, negotiated with MDN's "perfect negotiation":
// of each pair the peer whose id sorts higher is polite and gives way when both offer at once.
//
// Chromium (seen with 156) sometimes never gathers ICE candidates again on the polite side
// after it rolled back its own offer for the other's (1–5 % of such glares on the test
// machine). So glare is made rare, not only survivable: the polite side gives the other a
// head start for the first offer and for ICE restarts, and a connection that still never
// gets going is replaced by a new one (see Mesh, which also notices the other side doing so).
//
// Each connection also carries one data channel for the call's apps (data-protocol.js):
// negotiated on both sides at once (id 0), so it needs no message of its own.

import { BUFFER_HIGH_BYTES, BUFFER_LOW_BYTES, CHANNEL_ID, CHANNEL_LABEL, DataGate } from "./data-protocol.js";

export const KINDS = ["audio", "video"];
// Long enough for the impolite peer's offer to cross the server, short enough not to be noticed.
const POLITE_HEAD_START_MS = 1_500;
// "disconnected" often heals by itself (a Wi-Fi hiccup); restart ICE only if it lingers.
const DISCONNECTED_GRACE_MS = 4_000;
// Never started (no candidates on one side) or failed even after an ICE restart. Well above
// the slowest start seen: ICE checks of a 6-way mesh on 2 cores begin within a few seconds.
// An offer still unanswered after half of it is withdrawn and made again.
export const STUCK_MS = 15_000;

let serial = 0;

function sessionId(sdp) {
  return /^o=\S+ (\S+)/m.exec(sdp ?? "")?.[1] ?? null;
}

function plain(description) {
  return { type: description.type, sdp: description.sdp };
}

function videoSenders(pc) {
  return pc
    .getTransceivers()
    .filter((t) => !t.stopped && t.receiver.track.kind === "video")
    .map((t) => t.sender);
}

// Sets {maxBitrate, scaleResolutionDownBy} on encodings[0] of every video sender of `pc`.
// Resolves true when they are in place (or the connection is closed), false when a sender
// cannot take them yet: before the first negotiation there are no encodings to limit, and
// mid-negotiation Chromium refuses new parameters.
export async function limitVideo(pc, limits) {
  if (pc.connectionState === "closed") return true;
  if (pc.signalingState !== "stable") return false;
  let settled = true;
  for (const sender of videoSenders(pc)) {
    const params = sender.getParameters();
    if (!params.encodings?.length) {
      settled = false;
      continue;
    }
    const current = params.encodings[0];
    if (current.maxBitrate === limits.maxBitrate && current.scaleResolutionDownBy === limits.scaleResolutionDownBy) continue;
    current.maxBitrate = limits.maxBitrate;
    current.scaleResolutionDownBy = limits.scaleResolutionDownBy;
    try {
      await sender.setParameters(params);
    } catch (error) {
      // A negotiation that started meanwhile: the next try finds it done.
      if (error.name === "InvalidModificationError" || error.name === "InvalidStateError") settled = false;
      else console.warn("Mesh: could not limit a video sender", error);
    }
  }
  return settled;
}

export class PeerLink {
  makingOffer = false;
  ignoreOffer = false;
  isSettingRemoteAnswerPending = false;
  remoteStream = new MediaStream();
  serial = ++serial; // tells one RTCPeerConnection from its replacement
  #waitedForOffer;
  #timers = new Map(); // purpose → timeout
  #closed = false;
  #restarting = false; // an ICE restart of ours since the connection was last "connected"
  #dataOpen = false;
  #onDataClose;
  #drainWaiters = new Set();
  gate = new DataGate(); // what arrives on the data channel, checked and counted

  // `replacing`: this link replaces one that never worked, so it must offer at once.
  // onData(message) gets what the gate let through: a plain object, or {frame}.
  constructor({
    peerId,
    polite,
    config,
    tracks,
    localStream,
    send,
    onTrack,
    onState,
    onStuck,
    stuckMs,
    replacing,
    onData = () => {},
    onDataOpen = () => {},
    onDataClose = () => {},
  }) {
    Object.assign(this, { peerId, polite, onTrack, onState, onStuck, stuckMs });
    this.#onDataClose = onDataClose;
    this.#waitedForOffer = replacing;
    const pc = (this.pc = new RTCPeerConnection(config));
    this.send = (fields) => send({ type: "signal", to: peerId, ...fields });
    for (const kind of KINDS) {
      const track = tracks.get(kind);
      // A transceiver even without a track, so a camera switched on later needs no renegotiation.
      if (track) pc.addTrack(track, ...(localStream ? [localStream] : []));
      else pc.addTransceiver(kind, { direction: "sendrecv" });
    }
    // After the transceivers: the first offer carries media and data at once.
    const channel = (this.channel = pc.createDataChannel(CHANNEL_LABEL, { negotiated: true, id: CHANNEL_ID, ordered: true }));
    channel.binaryType = "arraybuffer";
    channel.bufferedAmountLowThreshold = BUFFER_LOW_BYTES;
    channel.onopen = () => {
      this.#dataOpen = true;
      onDataOpen();
    };
    channel.onclose = () => this.#dataClosed();
    channel.onmessage = ({ data }) => {
      const got = this.gate.accept(data);
      if (got) onData(got.text ?? got);
    };
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.send({ candidate: candidate.toJSON() });
    };
    pc.onnegotiationneeded = () => this.#negotiate();
    pc.ontrack = ({ track }) => {
      this.remoteStream.addTrack(track);
      track.addEventListener("ended", () => this.remoteStream.removeTrack(track));
      onTrack(this.remoteStream);
    };
    pc.onconnectionstatechange = () => this.#stateChanged();
    pc.onsignalingstatechange = () => {
      if (pc.signalingState === "stable") this.#clear("answer");
    };
    this.#watch();
  }

  isNewSession(sdp) {
    const current = this.pc.remoteDescription;
    return Boolean(current) && sessionId(current.sdp) !== sessionId(sdp);
  }

  async #negotiate() {
    const pc = this.pc;
    if (this.polite && !this.#waitedForOffer && !pc.remoteDescription) {
      this.#waitedForOffer = true;
      await new Promise((resolve) => this.#later("headStart", POLITE_HEAD_START_MS, resolve));
      // Answered meanwhile: if more is still needed, the browser fires negotiationneeded again.
      if (this.#closed || pc.remoteDescription || pc.signalingState !== "stable") return;
    }
    try {
      this.makingOffer = true;
      await pc.setLocalDescription();
      this.send({ description: plain(pc.localDescription) });
      // An offer lost on the way (the other's socket was reconnecting) is never answered:
      // withdraw it, and the browser asks for a new one.
      this.#later("answer", this.stuckMs / 2, () => {
        if (pc.signalingState !== "have-local-offer") return;
        pc.setLocalDescription({ type: "rollback" }).catch(() => {}); // raced by the answer: fine
      });
    } catch (error) {
      if (!this.#closed) console.warn("Mesh: offer to", this.peerId, "failed", error);
    } finally {
      this.makingOffer = false;
    }
  }

  async receive(description, candidate) {
    const pc = this.pc;
    try {
      if (description) {
        // No await before setRemoteDescription: it must queue ahead of the candidates that follow.
        const readyForOffer =
          !this.makingOffer && (pc.signalingState === "stable" || this.isSettingRemoteAnswerPending);
        const offerCollision = description.type === "offer" && !readyForOffer;
        this.ignoreOffer = !this.polite && offerCollision;
        if (this.ignoreOffer) return;
        this.isSettingRemoteAnswerPending = description.type === "answer";
        await pc.setRemoteDescription(description);
        this.isSettingRemoteAnswerPending = false;
        if (description.type === "offer") {
          await pc.setLocalDescription();
          this.send({ description: plain(pc.localDescription) });
        }
      } else if (candidate) {
        try {
          await pc.addIceCandidate(candidate);
        } catch (error) {
          if (!this.ignoreOffer) throw error; // candidates of an offer we chose to ignore
        }
      }
    } catch (error) {
      if (!this.#closed) console.warn("Mesh: signal from", this.peerId, "failed", error);
    }
  }

  // Both ends restarting at once would be a glare: the polite one leaves it to the other first.
  restartIce(reason) {
    const delay = reason === "network" || !this.polite ? 0 : POLITE_HEAD_START_MS;
    const state = this.pc.connectionState;
    this.#later("restart", delay, () => {
      if (reason !== "network" && this.pc.connectionState !== state) return;
      this.#restarting = true;
      this.pc.restartIce();
    });
  }

  #stateChanged() {
    const state = this.pc.connectionState;
    this.#clear("grace");
    if (state === "failed") this.restartIce("failed");
    // The path came back by itself while our ICE restart's offer was still out (it went into a
    // dead network and waits for the socket to get through): that offer is moot. Withdraw it;
    // the browser asks for a new one at once, over a network that now works.
    // Measured (bench/impaired_call.py, a 20 s outage): frames back 1.1 s after the line, not 12.7 s.
    if (state === "connected" && this.#restarting && this.pc.signalingState === "have-local-offer") {
      this.pc.setLocalDescription({ type: "rollback" }).catch(() => {}); // raced by the answer: fine
    }
    if (state === "connected") this.#restarting = false;
    if (state === "disconnected") {
      this.#later("grace", DISCONNECTED_GRACE_MS, () => {
        if (this.pc.connectionState === "disconnected") this.restartIce("disconnected");
      });
    }
    this.#watch();
    this.onState(state);
  }

  // The impolite side replaces a connection that never gets going; the polite side only if
  // the other does not (twice the time), so that both do not replace theirs at once.
  #watch() {
    const stuck = ["new", "failed"].includes(this.pc.connectionState);
    if (!stuck) return this.#clear("stuck");
    if (this.#timers.has("stuck")) return;
    this.#later("stuck", this.polite ? 2 * this.stuckMs : this.stuckMs, () => {
      if (["new", "failed"].includes(this.pc.connectionState)) this.onStuck();
    });
  }

  async replaceTrack(kind, track) {
    for (const transceiver of this.pc.getTransceivers()) {
      if (transceiver.receiver.track.kind === kind && !transceiver.stopped) await transceiver.sender.replaceTrack(track);
    }
  }

  // The loudest of the incoming audio sources now (0..1), as the browser measures it.
  audioLevel() {
    let level = 0;
    for (const receiver of this.pc.getReceivers()) {
      if (receiver.track?.kind !== "audio" || !receiver.getSynchronizationSources) continue;
      for (const source of receiver.getSynchronizationSources()) level = Math.max(level, source.audioLevel ?? 0);
    }
    return level;
  }

  setVideoLimits(limits) {
    return limitVideo(this.pc, limits);
  }

  get dataOpen() {
    return this.#dataOpen && this.channel.readyState === "open";
  }

  // A string or an ArrayBuffer, already checked against the limits (Mesh.sendData).
  sendData(payload) {
    if (!this.dataOpen) return false;
    try {
      this.channel.send(payload);
      return true;
    } catch (error) {
      console.warn("Mesh: could not send data to", this.peerId, error);
      return false;
    }
  }

  // Resolves true once the channel's queue is below its low mark, false if it closes first.
  whenDrained() {
    const channel = this.channel;
    if (!this.dataOpen) return Promise.resolve(false);
    if (channel.bufferedAmount <= BUFFER_HIGH_BYTES) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = (value) => {
        channel.removeEventListener("bufferedamountlow", low);
        this.#drainWaiters.delete(waiter);
        resolve(value);
      };
      const low = () => waiter(true);
      channel.addEventListener("bufferedamountlow", low);
      this.#drainWaiters.add(waiter);
    });
  }

  #dataClosed() {
    for (const waiter of [...this.#drainWaiters]) waiter(false);
    if (!this.#dataOpen) return;
    this.#dataOpen = false;
    this.#onDataClose();
  }

  refresh(config) {
    try {
      this.pc.setConfiguration(config); // fresh TURN credentials after a resume
    } catch (error) {
      console.warn("Mesh: could not update the ICE servers for", this.peerId, error);
    }
  }

  #later(purpose, delay, callback) {
    this.#clear(purpose);
    this.#timers.set(
      purpose,
      setTimeout(() => {
        this.#timers.delete(purpose);
        if (!this.#closed) callback();
      }, delay),
    );
  }

  #clear(purpose) {
    clearTimeout(this.#timers.get(purpose));
    this.#timers.delete(purpose);
  }

  close() {
    this.#closed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    const pc = this.pc;
    pc.onnegotiationneeded = pc.onicecandidate = pc.onconnectionstatechange = pc.ontrack = null;
    pc.onsignalingstatechange = null;
    const channel = this.channel;
    channel.onopen = channel.onmessage = channel.onclose = null;
    this.#dataClosed(); // whoever waits for the channel to drain stops waiting
    channel.close();
    pc.close();
  }
}
