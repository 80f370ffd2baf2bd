// The call as a page starts it: socket, mesh and screen wired together following
// docs/signalling.md. The page owns the local stream (it asked for it, it stops it).

import { Mesh } from "./mesh.js";
import { CallSocket } from "./socket.js";
import { CallView } from "./view.js";

// Error frames after which staying in the call is pointless.
const FATAL_ERRORS = new Set(["call_full"]);

// `socket` instead of `socketUrl`: join the call over a socket the page already has (the
// patient's, which also carries their status); the call then borrows its callbacks and
// hands them back when it ends, leaving the socket open.
export function startCall({
  socketUrl = null,
  socket: shared = null,
  labels,
  container,
  localStream,
  onEnded = () => {},
  onError = () => {},
  onMessage = () => {},
  iceTransportPolicy = undefined,
}) {
  let socket = shared;
  const lent = shared ? { onMessage: shared.onMessage, onOpen: shared.onOpen, onClose: shared.onClose } : null;
  let finished = false;
  let joined = false;
  const peerCount = () => mesh.peers.size;

  const view = new CallView({
    container,
    labels,
    localStream,
    onMediaChange: (media) => {
      // Before the welcome the server has no place for it; sendMediaState() follows the welcome.
      if (joined) sendMediaState(media);
    },
    onLeave: () => handle.leave(),
  });

  const mesh = new Mesh({
    localStream,
    send: (message) => socket.send(message),
    onRemoteTrack: (peerId, stream) => view.setStream(peerId, stream),
    onPeerState: (peerId, state) => view.setPeerState(peerId, state),
    onPeerLeft: (peerId) => {
      view.removePeer(peerId);
      if (joined) view.setCallState(peerCount() ? "in_call" : "waiting");
    },
    onMediaState: (peerId, media) => view.setMediaState(peerId, media),
    iceTransportPolicy,
  });

  function sendMediaState({ audio, video }) {
    socket.send({ type: "media_state", audio, video });
  }

  function finish(state, reason) {
    if (finished) return;
    finished = true;
    mesh.close();
    if (lent) Object.assign(socket, lent);
    else socket.close();
    view.setCallState(state);
    onEnded(reason);
  }

  function received(message) {
    if (finished) return;
    switch (message.type) {
      case "welcome":
        joined = true;
        for (const peer of message.peers) view.upsertPeer(peer);
        mesh.handle(message);
        view.setCallState(message.peers.length ? "in_call" : "waiting");
        // Covers a microphone muted before joining, and whatever was lost while reconnecting.
        sendMediaState(view.mediaState);
        return;
      case "peer_joined":
        view.upsertPeer(message.peer);
        mesh.handle(message);
        view.setCallState("in_call");
        return;
      case "peer_left":
      case "signal":
      case "media_state":
        mesh.handle(message);
        return;
      case "call_ended":
        mesh.handle(message);
        finish("ended", { reason: "call_ended" });
        return;
      case "error":
        if (FATAL_ERRORS.has(message.code)) finish("full", { reason: message.code });
        onError(message.code, message.message, { fatal: FATAL_ERRORS.has(message.code) });
        return;
      case "heartbeat_ack":
        return;
      default:
        onMessage(message); // e.g. the patient's status and notices on the same socket
    }
  }

  const callbacks = {
    onOpen: ({ reconnected }) => {
      const join = { type: "join_call" };
      // Resuming keeps our peer id, so the others' connections to us stay valid.
      if (reconnected && mesh.peerId) join.resume = mesh.peerId;
      socket.send(join);
    },
    onMessage: received,
    onClose: (event, { final }) => {
      if (final) finish(event.code === 1000 ? "ended" : "error", { reason: "closed", code: event.code });
      else if (joined && !finished) view.setCallState("reconnecting");
      lent?.onClose(event, { final });
    },
  };
  if (shared) {
    Object.assign(socket, callbacks);
    socket.send({ type: "join_call" });
  } else {
    socket = new CallSocket(socketUrl, callbacks);
  }

  const handle = {
    mesh,
    socket,
    view,
    leave() {
      if (finished) return;
      socket.send({ type: "leave_call" });
      finish("left", { reason: "left" });
    },
    // Stop taking part without telling the server (it already took us out: hold, transfer).
    detach() {
      finish("left", { reason: "detached" });
    },
  };
  return handle;
}
