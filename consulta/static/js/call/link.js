// One RTCPeerConnection to one other peer, negotiated with MDN's "perfect negotiation":
// of each pair the peer whose id sorts higher is polite and gives way when both offer at once.
//
// Chromium (seen with 156) sometimes never gathers ICE candidates again on the polite side
// after it rolled back its own offer for the other's (1–5 % of such glares on the test
// machine). So glare is made rare, not only survivable: the polite side gives the other a
// head start for the first offer and for ICE restarts, and a connection that still never
// gets going is replaced by a new one (see Mesh, which also notices the other side doing so).

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

export class PeerLink {
  makingOffer = false;
  ignoreOffer = false;
  isSettingRemoteAnswerPending = false;
  remoteStream = new MediaStream();
  serial = ++serial; // tells one RTCPeerConnection from its replacement
  #waitedForOffer;
  #timers = new Map(); // purpose → timeout
  #closed = false;

  // `replacing`: this link replaces one that never worked, so it must offer at once.
  constructor({ peerId, polite, config, tracks, localStream, send, onTrack, onState, onStuck, stuckMs, replacing }) {
    Object.assign(this, { peerId, polite, onTrack, onState, onStuck, stuckMs });
    this.#waitedForOffer = replacing;
    const pc = (this.pc = new RTCPeerConnection(config));
    this.send = (fields) => send({ type: "signal", to: peerId, ...fields });
    for (const kind of KINDS) {
      const track = tracks.get(kind);
      // A transceiver even without a track, so a camera switched on later needs no renegotiation.
      if (track) pc.addTrack(track, ...(localStream ? [localStream] : []));
      else pc.addTransceiver(kind, { direction: "sendrecv" });
    }
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
      if (reason === "network" || this.pc.connectionState === state) this.pc.restartIce();
    });
  }

  #stateChanged() {
    const state = this.pc.connectionState;
    this.#clear("grace");
    if (state === "failed") this.restartIce("failed");
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
    pc.close();
  }
}
