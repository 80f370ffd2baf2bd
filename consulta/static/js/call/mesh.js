// Full mesh: one PeerLink (link.js) per other peer of the call, kept in step with the
// server's view of who is in it. The server's messages are the only input (handle()).
// Mesh is the call's transport: it implements the interface described in transport.js, the
// only way the screen and the tools reach the others' media and data.

import { encodeText, MAX_MESSAGE_BYTES } from "./data-protocol.js";
import { KINDS, PeerLink, STUCK_MS } from "./link.js";

export class Mesh {
  #opts;
  #peerId = null;
  #iceServers = [];
  #icePolicy = null; // the server's iceTransportPolicy (welcome), unless the page gives one
  #links = new Map(); // peerId → Link
  #tracks = new Map(); // kind → the track sent to every peer (null while off)
  #closed = false;
  #stuckMs;
  // A changed network invalidates every candidate pair at once.
  #onOnline = () => this.restartIce();
  // The data channel's callbacks (transport.js): assignable, the apps set them.
  onData;
  onDataOpen;
  onDataClose;

  constructor({
    localStream = null,
    send,
    onRemoteTrack = () => {},
    onPeerState = () => {},
    onPeerLeft = () => {},
    onMediaState = () => {},
    onData = () => {},
    onDataOpen = () => {},
    onDataClose = () => {},
    iceTransportPolicy = undefined,
    stuckMs = STUCK_MS,
    debug = true,
  }) {
    this.#opts = { localStream, send, onRemoteTrack, onPeerState, onPeerLeft, onMediaState, iceTransportPolicy };
    this.#stuckMs = stuckMs;
    Object.assign(this, { onData, onDataOpen, onDataClose });
    for (const kind of KINDS) this.#tracks.set(kind, localStream?.getTracks().find((t) => t.kind === kind) ?? null);
    window.addEventListener("online", this.#onOnline);
    if (debug) this.#installDebugHook();
  }

  get peerId() {
    return this.#peerId;
  }

  // Not part of the transport: the connections themselves, for the loopback tests
  // (tests/e2e/pages/loopback.js). The call's modules use peerIds and the methods below.
  get peers() {
    return new Map([...this.#links].map(([id, link]) => [id, link.pc]));
  }

  // --- The transport (transport.js) -------------------------------------------------------

  get peerIds() {
    return [...this.#links.keys()];
  }

  connectionState(peerId) {
    return this.#links.get(peerId)?.pc.connectionState ?? null;
  }

  remoteStream(peerId) {
    return this.#links.get(peerId)?.remoteStream ?? null;
  }

  stats(peerId) {
    const link = this.#links.get(peerId);
    return link ? link.pc.getStats() : Promise.resolve(null);
  }

  audioLevel(peerId) {
    return this.#links.get(peerId)?.audioLevel() ?? 0;
  }

  async setVideoLimits(peerId, limits) {
    const links = peerId === null ? [...this.#links.values()] : [this.#links.get(peerId)].filter(Boolean);
    const settled = await Promise.all(links.map((link) => link.setVideoLimits(limits)));
    return settled.every(Boolean);
  }

  sendData(message, { to = null } = {}) {
    let payload;
    if (message instanceof ArrayBuffer || ArrayBuffer.isView(message)) {
      payload = message;
      if (payload.byteLength > MAX_MESSAGE_BYTES) payload = null;
    } else {
      payload = encodeText(message);
    }
    if (payload === null) {
      console.warn("Mesh: a data message over", MAX_MESSAGE_BYTES, "bytes was not sent");
      return 0;
    }
    const links = to === null ? [...this.#links.values()] : [this.#links.get(to)].filter(Boolean);
    return links.filter((link) => link.sendData(payload)).length;
  }

  dataOpen(peerId) {
    return this.#links.get(peerId)?.dataOpen ?? false;
  }

  whenDataDrained(peerId) {
    return this.#links.get(peerId)?.whenDrained() ?? Promise.resolve(false);
  }

  dataDropped(peerId) {
    const dropped = this.#links.get(peerId)?.gate.dropped;
    return dropped ? { ...dropped } : { too_large: 0, malformed: 0, rate: 0 };
  }

  // --- The server's messages ----------------------------------------------------------------

  handle(msg) {
    if (this.#closed) return;
    switch (msg.type) {
      case "welcome":
        return this.#welcome(msg);
      case "peer_joined": {
        const peerId = msg.peer.peer_id;
        if (this.#peerId === null || peerId === this.#peerId) return;
        // A link may exist already, made for the peer's first offer; should the peer have
        // started afresh, its next offer carries a new session and replaces the link (#signal).
        const link = this.#links.get(peerId);
        if (!link || link.pc.connectionState === "closed") this.#connect(peerId);
        return this.#opts.onMediaState(peerId, { audio: msg.peer.audio, video: msg.peer.video });
      }
      case "peer_left":
        if (msg.peer_id === this.#peerId) return this.#reset(); // the server took us out
        return this.#remove(msg.peer_id);
      case "signal":
        return this.#signal(msg);
      case "media_state":
        if (msg.peer_id === this.#peerId) return; // our own, should the server echo it
        return this.#opts.onMediaState(msg.peer_id, { audio: msg.audio, video: msg.video });
      case "call_ended":
        for (const id of [...this.#links.keys()]) this.#remove(id);
        return this.close();
      case "ice_servers":
        // Fresh TURN credentials before the old ones run out (they live no longer than a call needs).
        this.#iceServers = msg.ice_servers ?? [];
        for (const link of this.#links.values()) link.refresh(this.#config());
        return;
    }
  }

  // The one place a resume is reconciled: whatever the server lists is the truth.
  #welcome({ peer_id: peerId, peers, ice_servers: iceServers, ice_transport_policy: icePolicy }) {
    if (this.#peerId !== null && this.#peerId !== peerId) {
      // A new identity (the resume was refused): the others know nothing of the old links.
      for (const link of this.#links.values()) link.close();
      this.#links.clear();
    }
    this.#peerId = peerId;
    this.#iceServers = iceServers ?? [];
    this.#icePolicy = icePolicy ?? null;
    peers = peers.filter((peer) => peer.peer_id !== peerId); // never a connection to ourselves
    const listed = new Set(peers.map((p) => p.peer_id));
    for (const id of [...this.#links.keys()]) if (!listed.has(id)) this.#remove(id);
    for (const peer of peers) {
      const link = this.#links.get(peer.peer_id);
      if (!link || link.pc.connectionState === "closed") {
        this.#connect(peer.peer_id);
      } else {
        link.refresh(this.#config());
      }
      this.#opts.onMediaState(peer.peer_id, { audio: peer.audio, video: peer.video });
    }
  }

  #signal({ from, description, candidate }) {
    if (this.#peerId === null || from === this.#peerId) return;
    let link = this.#links.get(from);
    if (!link) {
      // The sender may know of us before its peer_joined reaches us; its offer must not be lost.
      link = this.#connect(from);
    } else if (description?.type === "offer" && link.isNewSession(description.sdp)) {
      // The other side replaced its connection (see PeerLink): ours has nothing left to talk to.
      link.close();
      link = this.#connect(from, { replacing: true });
    }
    link.receive(description, candidate);
  }

  #connect(peerId, { replacing = false } = {}) {
    const opts = this.#opts;
    const link = new PeerLink({
      peerId,
      polite: this.#peerId > peerId,
      config: this.#config(),
      tracks: this.#tracks,
      localStream: opts.localStream,
      send: opts.send,
      onTrack: (stream) => opts.onRemoteTrack(peerId, stream),
      onState: (state) => opts.onPeerState(peerId, state),
      onStuck: () => {
        if (this.#links.get(peerId) !== link) return;
        link.close();
        this.#connect(peerId, { replacing: true });
      },
      stuckMs: this.#stuckMs,
      replacing,
      // Only the current link of a peer speaks for it: a replaced one is closed and silent.
      onData: (message) => this.#links.get(peerId) === link && this.onData(peerId, message),
      onDataOpen: () => this.#links.get(peerId) === link && this.onDataOpen(peerId),
      onDataClose: () => this.onDataClose(peerId),
    });
    this.#links.set(peerId, link);
    opts.onPeerState(peerId, link.pc.connectionState);
    return link;
  }

  #config() {
    const config = { iceServers: this.#iceServers, bundlePolicy: "max-bundle" };
    const policy = this.#opts.iceTransportPolicy ?? this.#icePolicy;
    if (policy) config.iceTransportPolicy = policy;
    return config;
  }

  // Out of the call (timed out, put on hold): every link is dead, and so is our peer id,
  // so that joining again starts afresh instead of resuming.
  #reset() {
    for (const id of [...this.#links.keys()]) this.#remove(id);
    this.#peerId = null;
  }

  #remove(peerId) {
    const link = this.#links.get(peerId);
    if (!link) return;
    link.close();
    this.#links.delete(peerId);
    this.#opts.onPeerLeft(peerId);
  }

  restartIce() {
    for (const link of this.#links.values()) link.restartIce("network");
  }

  async replaceTrack(kind, newTrack) {
    const stream = this.#opts.localStream;
    if (stream) {
      for (const old of stream.getTracks()) if (old.kind === kind && old !== newTrack) stream.removeTrack(old);
      if (newTrack && !stream.getTracks().includes(newTrack)) stream.addTrack(newTrack);
    }
    this.#tracks.set(kind, newTrack);
    await Promise.all([...this.#links.values()].map((link) => link.replaceTrack(kind, newTrack)));
  }

  close() {
    this.#closed = true;
    window.removeEventListener("online", this.#onOnline);
    for (const link of this.#links.values()) link.close();
    this.#links.clear();
  }

  #installDebugHook() {
    const peerId = () => this.#peerId;
    // Read-only on purpose: snapshots and getStats(), never the connections themselves.
    const connections = () =>
      [...this.#links.values()].map((link) =>
        Object.freeze({
          peerId: link.peerId,
          serial: link.serial, // the same serial means the same RTCPeerConnection
          connectionState: link.pc.connectionState,
          signalingState: link.pc.signalingState,
          getStats: () => link.pc.getStats(),
        }),
      );
    // The tracks sent to everyone, described (the tracks themselves stay private).
    const sent = () =>
      [...this.#tracks].map(([kind, track]) =>
        Object.freeze({ kind, label: track?.label ?? null, enabled: track?.enabled ?? null, readyState: track?.readyState ?? null }),
      );
    // What bitrate.js set on each connection's video senders: copies, for reading only.
    const encodings = () =>
      [...this.#links.values()].map((link) =>
        Object.freeze({
          peerId: link.peerId,
          video: link.pc
            .getTransceivers()
            .filter((t) => t.receiver.track.kind === "video" && !t.stopped)
            .flatMap((t) => t.sender.getParameters().encodings ?? [])
            .map(({ maxBitrate, scaleResolutionDownBy }) => ({ maxBitrate, scaleResolutionDownBy })),
        }),
      );
    // Each connection's data channel: its state and what was refused from it.
    const channels = () =>
      [...this.#links.values()].map((link) =>
        Object.freeze({ peerId: link.peerId, readyState: link.channel.readyState, dropped: { ...link.gate.dropped } }),
      );
    const hook = Object.freeze({
      get peerId() {
        return peerId();
      },
      get peerConnections() {
        return connections();
      },
      get sentTracks() {
        return sent();
      },
      get videoEncodings() {
        return encodings();
      },
      get dataChannels() {
        return channels();
      },
    });
    Object.defineProperty(window, "__call", { value: hook, configurable: true, enumerable: false, writable: false });
  }
}
