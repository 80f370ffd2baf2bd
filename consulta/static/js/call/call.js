// The call as a page starts it: socket, mesh, screen and tools wired together following
// docs/signalling.md. The page owns the local stream (it asked for it, it stops it).

import { Mesh } from "./mesh.js";
import { CallSocket } from "./socket.js";
import { CallTools } from "./tools.js";
import { CallView } from "./view.js";

// Error frames after which staying in the call is pointless → the screen's state.
const FATAL_ERRORS = new Map([
  ["call_full", "full"],
  ["ended", "ended"], // the consultation or the invitation is gone
]);

// `socket` instead of `socketUrl`: join the call over a socket the page already has (the
// patient's, which also carries their status); the call then borrows its callbacks and
// hands them back when it ends, leaving the socket open.
// `canManage`: an account holder's call manager (ask others to mute, disconnect them).
// `holdRoles`: whom that manager may put on hold (roles); `onHold({peerId, role, name})`
// does it instead of the `manage` message (a waiting-area caller's HTTP hold action).
// `speakerId`: the audio output chosen before the call, for every remote tile.
// `beforeJoin(socket)`: sends what must precede each join_call after a reconnect (a room
// guest's knock, which the server answers "admitted" at once for a guest it remembers).
export function startCall({
  socketUrl = null,
  socket: shared = null,
  labels,
  container,
  localStream,
  canManage = false,
  holdRoles = [],
  onHold = null,
  speakerId = null,
  beforeJoin = () => {},
  onEnded = () => {},
  onError = () => {},
  onMessage = () => {},
  iceTransportPolicy = undefined,
}) {
  let socket = shared;
  const lent = shared ? { onMessage: shared.onMessage, onOpen: shared.onOpen, onClose: shared.onClose } : null;
  let finished = false;
  let joined = false;
  let tools = null;
  const peerCount = () => mesh.peers.size;
  // Without camera or microphone the call still needs a stream, for devices switched on later.
  const ownStream = localStream ? null : new MediaStream();
  const stream = localStream ?? ownStream;

  const view = new CallView({
    container,
    labels,
    localStream: stream,
    onMediaChange: (media) => {
      tools?.selfMedia(media);
      // Before the welcome the server has no place for it; sendMediaState() follows the welcome.
      if (joined) sendMediaState(media);
    },
    onLeave: () => handle.leave(),
    onPin: (peerId) => tools?.pin(peerId),
  });

  const mesh = new Mesh({
    localStream: stream,
    send: (message) => socket.send(message),
    onRemoteTrack: (peerId, remote) => view.setStream(peerId, remote),
    onPeerState: (peerId, state) => {
      view.setPeerState(peerId, state);
      tools?.peerState(peerId, state);
    },
    onPeerLeft: (peerId) => {
      view.removePeer(peerId);
      tools?.peerLeft(peerId);
      if (joined) view.setCallState(peerCount() ? "in_call" : "waiting");
    },
    onMediaState: (peerId, media) => {
      view.setMediaState(peerId, media);
      tools?.mediaState(peerId, media);
    },
    iceTransportPolicy,
  });
  tools = new CallTools({
    view,
    mesh,
    send: (message) => socket.send(message),
    labels,
    localStream: stream,
    canManage,
    holdRoles,
    onHold,
    speakerId,
  });

  function sendMediaState({ audio, video }) {
    socket.send({ type: "media_state", audio, video });
  }

  function finish(state, reason) {
    if (finished) return;
    finished = true;
    tools.close();
    mesh.close();
    for (const track of ownStream?.getTracks() ?? []) track.stop();
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
        for (const peer of message.peers) if (peer.peer_id !== message.peer_id) view.upsertPeer(peer);
        mesh.handle(message);
        tools.joined(message);
        view.setCallState(message.peers.length ? "in_call" : "waiting");
        // Covers a microphone muted before joining, and whatever was lost while reconnecting.
        sendMediaState(view.mediaState);
        return;
      case "peer_joined":
        if (message.peer.peer_id === mesh.peerId) return; // ourselves, should the server echo it
        view.upsertPeer(message.peer);
        mesh.handle(message);
        tools.peerJoined(message.peer);
        view.setCallState("in_call");
        return;
      case "peer_left": {
        const removed = joined && message.peer_id === mesh.peerId;
        mesh.handle(message);
        if (removed) {
          // The server took us out (silent too long, or on hold): join afresh. A patient on
          // hold is refused, harmlessly, and their page ends the call on the status that follows.
          view.setCallState("connecting");
          socket.send({ type: "join_call" });
        }
        return;
      }
      case "signal":
      case "media_state":
        mesh.handle(message);
        return;
      case "call_ended":
        mesh.handle(message);
        finish("ended", { reason: "call_ended" });
        return;
      case "error":
        if (FATAL_ERRORS.has(message.code)) finish(FATAL_ERRORS.get(message.code), { reason: message.code });
        onError(message.code, message.message, { fatal: FATAL_ERRORS.has(message.code) });
        return;
      case "removed":
        // A host took us out; the server closes the socket with 4403 next.
        finish("removed", { reason: "removed" });
        return;
      case "heartbeat_ack":
        return;
      default:
        if (!tools.receive(message)) onMessage(message); // e.g. the patient's status and notices on the same socket
    }
  }

  const callbacks = {
    onOpen: ({ reconnected }) => {
      const join = { type: "join_call" };
      // Resuming keeps our peer id, so the others' connections to us stay valid.
      if (reconnected && mesh.peerId) join.resume = mesh.peerId;
      if (reconnected) beforeJoin(socket);
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
    tools,
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
