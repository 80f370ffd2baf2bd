// The call as a page starts it: socket, mesh, screen and tools wired together following
// docs/signalling.md. The page owns the local stream (it asked for it, it stops it).

import { Mesh } from "./mesh.js";
import { CallSocket } from "./socket.js";
import { CallTools } from "./tools.js";
import { CallView } from "./view.js";

// How long the server's messages wait for a camera still starting (see `held` below). Only a
// permission prompt takes longer; the call then goes on without, and the tracks follow.
const MEDIA_WAIT_MS = 1_500;
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
// `localStream`: the page's camera and microphone (the page stops them), null without any,
// or a promise of either, while the camera is still starting: the call then joins at once,
// the tracks are the call's own (it stops them when it ends), and the connections are made
// once they are there (or after MEDIA_WAIT_MS without them).
// `speakerId`: the audio output chosen before the call, for every remote tile.
// `onPeerState(peerId, connectionState)`: each connection's state, as its tile shows it.
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
  onPeerState = () => {},
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
  const pending = typeof localStream?.then === "function" ? localStream : null;
  const given = pending ? null : localStream;
  // Without camera or microphone the call still needs a stream, for devices switched on later.
  const ownStream = given ? null : new MediaStream();
  const stream = given ?? ownStream;
  // With the camera still starting, the server's messages wait here: the join, the welcome and
  // the others' first offers cross the server meanwhile, and the connections are made with
  // the tracks in them. A connection made before would need a second negotiation to send
  // them when the other side offered first (an answer reuses addTrack's transceivers only).
  let held = pending ? [] : null;
  function release() {
    const messages = held ?? [];
    held = null;
    for (const message of messages) received(message);
  }

  // The socket first: it connects (and a lent one joins) while the screen is being built;
  // its messages are handled once startCall has returned, everything then in place.
  const callbacks = {
    onOpen: ({ reconnected }) => {
      const join = { type: "join_call" };
      // Resuming keeps our peer id, so the others' connections to us stay valid.
      if (reconnected && mesh.peerId) join.resume = mesh.peerId;
      if (reconnected) beforeJoin(socket);
      socket.send(join);
    },
    onMessage: (message) => (held ? held.push(message) : received(message)),
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
      onPeerState(peerId, state);
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

  if (pending) {
    const waited = setTimeout(release, MEDIA_WAIT_MS);
    pending
      .then(async (late) => {
        const tracks = late?.getTracks() ?? [];
        if (finished) for (const track of tracks) track.stop();
        else await tools.addTracks(tracks);
      })
      .catch((error) => finished || console.warn("Call: cannot use the camera or microphone", error))
      .finally(() => {
        clearTimeout(waited);
        release();
      });
  }

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
      case "welcome": {
        const resumed = message.peer_id === mesh.peerId;
        joined = true;
        for (const peer of message.peers) if (peer.peer_id !== message.peer_id) view.upsertPeer(peer);
        mesh.handle(message);
        tools.joined(message);
        view.setCallState(message.peers.length ? "in_call" : "waiting");
        // A new place starts with microphone and camera on (the server's default): say only
        // what differs (muted before joining). A resumed place may hold what was lost while
        // reconnecting: say it all. Not a message more while the first offers cross the server.
        const media = view.mediaState;
        if (resumed || !media.audio || !media.video) sendMediaState(media);
        return;
      }
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
      case "ice_servers":
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
