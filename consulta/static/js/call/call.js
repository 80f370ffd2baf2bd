// The call as a page starts it: socket, transport (the mesh), screen and tools wired together
// following docs/signalling.md. The page owns the local stream (it asked for it, it stops it).

import { Mesh } from "./mesh.js";
import { CallSocket } from "./socket.js";
import { CallTools } from "./tools.js";
import { CallView } from "./view.js";

// How long the server's messages wait for a camera still starting (see #held). Only a
// permission prompt takes longer; the call then goes on without, and the tracks follow.
const MEDIA_WAIT_MS = 1_500;
// Error frames after which staying in the call is pointless → the screen's state.
const FATAL_ERRORS = new Map([
  ["call_full", "full"],
  ["ended", "ended"], // the consultation or the invitation is gone
]);

// Options:
// `socketUrl`, or `socket`: join the call over a socket the page already has (the patient's,
// which also carries their status); the call then borrows its callbacks and hands them back
// when it ends, leaving the socket open.
// `canManage`: an account holder's call manager (ask others to mute, disconnect them).
// `holdRoles`: whom that manager may put on hold (roles); `onHold({peerId, role, name})`
// does it instead of the `manage` message (a waiting-area caller's HTTP hold action).
// `localStream`: the page's camera and microphone (the page stops them), null without any,
// or a promise of either, while the camera is still starting: the call then joins at once,
// the tracks are the call's own (it stops them when it ends), and the connections are made
// once they are there (or after MEDIA_WAIT_MS without them).
// `speakerId`: the audio output chosen before the call, for every remote tile.
// `onPeerState(peerId, connectionState)`: each connection's state, as its tile shows it.
// `beforeJoin(socket)`: sends what must precede each join_call after a reconnect (a room
// guest's knock, which the server answers "admitted" at once for a guest it remembers).
// `firstJoin`: fields for the first join_call only (a team member's `answer`).
// `onEnded({reason, code?})`, `onError(code, text, {fatal})`, `onMessage(message)`: what the
// page hears of the call (onMessage: whatever the call and its tools do not handle).
export class Call {
  #opts;
  #socket;
  #lent = null; // a borrowed socket's own callbacks, handed back at the end
  #finished = false;
  #joined = false;
  #ownStream = null;
  #firstJoin; // sent with the first join_call, then never again
  // With the camera still starting, the server's messages wait here: the join, the welcome and
  // the others' first offers cross the server meanwhile, and the connections are made with
  // the tracks in them. A connection made before would need a second negotiation to send
  // them when the other side offered first (an answer reuses addTrack's transceivers only).
  #held = null;
  // A closed tab is a leave: said as the page unloads, so the others lose the tile at once.
  // `unloading` keeps what the session remembers (a guest's admission), for a reload.
  #onPagehide = () => this.leave({ unloading: true });

  constructor({
    socketUrl = null,
    socket = null,
    labels,
    container,
    localStream,
    canManage = false,
    holdRoles = [],
    onHold = null,
    speakerId = null,
    beforeJoin = () => {},
    firstJoin = {},
    onPeerState = () => {},
    onEnded = () => {},
    onError = () => {},
    onMessage = () => {},
    iceTransportPolicy = undefined,
  }) {
    this.#opts = { beforeJoin, onPeerState, onEnded, onError, onMessage };
    this.#firstJoin = firstJoin;
    const pending = typeof localStream?.then === "function" ? localStream : null;
    const given = pending ? null : localStream;
    // Without camera or microphone the call still needs a stream, for devices switched on later.
    if (!given) this.#ownStream = new MediaStream();
    const stream = given ?? this.#ownStream;
    if (pending) this.#held = [];

    // The socket first: it connects (and a lent one joins) while the screen is being built;
    // its messages are handled once the constructor has returned, everything then in place.
    this.#connect(socketUrl, socket);
    this.view = this.#makeView(container, labels, stream);
    this.mesh = this.#makeMesh(stream, iceTransportPolicy);
    this.tools = new CallTools({
      view: this.view,
      mesh: this.mesh,
      send: (message) => this.#socket.send(message),
      labels,
      localStream: stream,
      canManage,
      holdRoles,
      onHold,
      speakerId,
    });
    if (pending) this.#waitForMedia(pending);
    window.addEventListener("pagehide", this.#onPagehide);
  }

  get socket() {
    return this.#socket;
  }

  get finished() {
    return this.#finished;
  }

  leave({ unloading = false } = {}) {
    if (this.#finished) return;
    this.#socket.send(unloading ? { type: "leave_call", unloading } : { type: "leave_call" });
    this.#finish("left", { reason: "left" });
  }

  // Stop taking part without telling the server (it already took us out: hold, transfer).
  detach() {
    this.#finish("left", { reason: "detached" });
  }

  // --- Setting up ----------------------------------------------------------------------------

  #connect(socketUrl, shared) {
    const callbacks = {
      onOpen: ({ reconnected }) => this.#opened(reconnected),
      onMessage: (message) => (this.#held ? this.#held.push(message) : this.#received(message)),
      onClose: (event, { final }) => this.#closed(event, final),
    };
    if (shared) {
      this.#socket = shared;
      this.#lent = { onMessage: shared.onMessage, onOpen: shared.onOpen, onClose: shared.onClose };
      Object.assign(shared, callbacks);
      // A socket still connecting joins as it opens (#opened), like one of the call's own.
      if (shared.state === "open") this.#socket.send(this.#joinMessage(false));
    } else {
      this.#socket = new CallSocket(socketUrl, callbacks);
    }
  }

  #makeView(container, labels, stream) {
    return new CallView({
      container,
      labels,
      localStream: stream,
      onMediaChange: (media) => {
        this.tools?.selfMedia(media);
        // Before the welcome the server has no place for it; the welcome sends it (#welcome).
        if (this.#joined) this.#sendMediaState(media);
      },
      onLeave: () => this.leave(),
      onPin: (peerId) => this.tools?.pin(peerId),
    });
  }

  #makeMesh(stream, iceTransportPolicy) {
    const peerCount = () => this.mesh.peerIds.length;
    return new Mesh({
      localStream: stream,
      send: (message) => this.#socket.send(message),
      onRemoteTrack: (peerId, remote) => this.view.setStream(peerId, remote),
      onPeerState: (peerId, state) => {
        this.view.setPeerState(peerId, state);
        this.tools?.peerState(peerId, state);
        this.#opts.onPeerState(peerId, state);
      },
      onPeerLeft: (peerId) => {
        this.view.removePeer(peerId);
        this.tools?.peerLeft(peerId);
        if (this.#joined) this.view.setCallState(peerCount() ? "in_call" : "waiting");
      },
      onMediaState: (peerId, media) => {
        this.view.setMediaState(peerId, media);
        this.tools?.mediaState(peerId, media);
      },
      iceTransportPolicy,
    });
  }

  #waitForMedia(pending) {
    const waited = setTimeout(() => this.#release(), MEDIA_WAIT_MS);
    pending
      .then(async (late) => {
        const tracks = late?.getTracks() ?? [];
        if (this.#finished) for (const track of tracks) track.stop();
        else await this.tools.addTracks(tracks);
      })
      .catch((error) => this.#finished || console.warn("Call: cannot use the camera or microphone", error))
      .finally(() => {
        clearTimeout(waited);
        this.#release();
      });
  }

  #release() {
    const messages = this.#held ?? [];
    this.#held = null;
    for (const message of messages) this.#received(message);
  }

  // --- The socket ----------------------------------------------------------------------------

  #opened(reconnected) {
    if (reconnected) this.#opts.beforeJoin(this.#socket);
    this.#socket.send(this.#joinMessage(reconnected));
  }

  #joinMessage(reconnected) {
    const join = { type: "join_call", ...this.#firstJoin };
    this.#firstJoin = {};
    // Resuming keeps our peer id, so the others' connections to us stay valid.
    if (reconnected && this.mesh?.peerId) join.resume = this.mesh.peerId;
    return join;
  }

  #closed(event, final) {
    if (final) this.#finish(event.code === 1000 ? "ended" : "error", { reason: "closed", code: event.code });
    else if (this.#joined && !this.#finished) this.view.setCallState("reconnecting");
    this.#lent?.onClose(event, { final });
  }

  #sendMediaState({ audio, video }) {
    this.#socket.send({ type: "media_state", audio, video });
  }

  #finish(state, reason) {
    if (this.#finished) return;
    this.#finished = true;
    window.removeEventListener("pagehide", this.#onPagehide);
    this.tools.close();
    this.mesh.close();
    for (const track of this.#ownStream?.getTracks() ?? []) track.stop();
    if (this.#lent) Object.assign(this.#socket, this.#lent);
    else this.#socket.close();
    this.view.setCallState(state);
    this.#opts.onEnded(reason);
  }

  // --- The server's messages -----------------------------------------------------------------

  #received(message) {
    if (this.#finished) return;
    switch (message.type) {
      case "welcome":
        return this.#welcome(message);
      case "peer_joined":
        if (message.peer.peer_id === this.mesh.peerId) return; // ourselves, should the server echo it
        this.view.upsertPeer(message.peer);
        this.mesh.handle(message);
        this.tools.peerJoined(message.peer);
        this.view.setCallState("in_call");
        return;
      case "peer_left": {
        const removed = this.#joined && message.peer_id === this.mesh.peerId;
        this.mesh.handle(message);
        if (removed) {
          // The server took us out (silent too long, or on hold): join afresh. A patient on
          // hold is refused, harmlessly, and their page ends the call on the status that follows.
          this.view.setCallState("connecting");
          this.#socket.send({ type: "join_call" });
        }
        return;
      }
      case "signal":
      case "media_state":
      case "ice_servers":
        this.mesh.handle(message);
        return;
      case "call_ended":
        this.mesh.handle(message);
        this.#finish("ended", { reason: "call_ended" });
        return;
      case "error": {
        const fatal = FATAL_ERRORS.has(message.code);
        if (fatal) this.#finish(FATAL_ERRORS.get(message.code), { reason: message.code });
        this.#opts.onError(message.code, message.message, { fatal });
        return;
      }
      case "removed":
        // A host took us out; the server closes the socket with 4403 next.
        this.#finish("removed", { reason: "removed" });
        return;
      case "heartbeat_ack":
        return;
      default:
        // e.g. the patient's status and notices on the same socket
        if (!this.tools.receive(message)) this.#opts.onMessage(message);
    }
  }

  #welcome(message) {
    const resumed = message.peer_id === this.mesh.peerId;
    this.#joined = true;
    for (const peer of message.peers) if (peer.peer_id !== message.peer_id) this.view.upsertPeer(peer);
    this.mesh.handle(message);
    this.tools.joined(message);
    this.view.setCallState(message.peers.length ? "in_call" : "waiting");
    // A new place starts with microphone and camera on (the server's default): say only
    // what differs (muted before joining). A resumed place may hold what was lost while
    // reconnecting: say it all. Not a message more while the first offers cross the server.
    const media = this.view.mediaState;
    if (resumed || !media.audio || !media.video) this.#sendMediaState(media);
  }
}

export function startCall(options) {
  return new Call(options);
}
