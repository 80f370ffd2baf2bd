// Test harness: several people in one page, each with their own fake camera, talking
// through the in-page relay. ?mode=mesh drives Mesh directly (the relay plays the server);
// ?mode=call runs startCall() whole, its WebSocket replaced by one that reaches the relay.
// window.__loopback is this test page's control surface; the app's pages have none.

import { startCall } from "/static/js/call/call.js";
import { getMedia, listDevices, stopStream } from "/static/js/call/devices.js";
import { Mesh } from "/static/js/call/mesh.js";
import { CallSocket } from "/static/js/call/socket.js";
import { installFakeWebSocket, Relay } from "./relay.js";

const params = new URLSearchParams(location.search);
const mode = params.get("mode") ?? "mesh";
const labels = JSON.parse(document.getElementById("call-labels").textContent);
const relay = new Relay({
  capacity: Number(params.get("capacity") ?? 6),
  latencyMs: Number(params.get("latency") ?? 0),
});
const stuckMs = params.has("stuck") ? Number(params.get("stuck")) : undefined;
const sockets = mode === "call" ? installFakeWebSocket(relay) : [];
const people = new Map(); // name → person
const kept = new Map(); // name → Map(peerId → RTCPeerConnection) at the time of keep()
const bareSockets = new Map(); // name → {socket, log}
let clockOffset = 0;
const realNow = Date.now.bind(Date);
Date.now = () => realNow() + clockOffset;

function section(name) {
  const container = document.createElement("section");
  container.dataset.person = name;
  document.getElementById("calls").append(container);
  return container;
}

// Mesh mode: Mesh alone, its send() wired straight into the relay.
function addMeshPerson(name, stream, debug) {
  const person = { name, stream, peersLeft: [], mediaStates: {}, peerStates: {}, remoteStreams: {} };
  person.socket = { name, role: "staff", deliver: (text) => person.mesh.handle(JSON.parse(text)) };
  person.send = (message) => relay.receive(person.socket, JSON.stringify(message));
  person.mesh = new Mesh({
    localStream: stream,
    send: person.send,
    onRemoteTrack: (peerId, remote) => (person.remoteStreams[peerId] = remote),
    onPeerState: (peerId, state) => (person.peerStates[peerId] = state),
    onPeerLeft: (peerId) => person.peersLeft.push(peerId),
    onMediaState: (peerId, media) => (person.mediaStates[peerId] = media),
    stuckMs,
    debug,
  });
  people.set(name, person);
}

// Call mode: the page a person would have, minus Django.
function addCallPerson(name, stream) {
  const person = { name, stream, ended: [], errors: [], other: [] };
  person.handle = startCall({
    socketUrl: `/ws/test/${name}/`,
    labels,
    container: section(name),
    localStream: stream,
    onEnded: (reason) => person.ended.push(reason),
    onError: (code, message, info) => person.errors.push({ code, message, ...info }),
    onMessage: (message) => person.other.push(message),
  });
  person.mesh = person.handle.mesh;
  people.set(name, person);
}

const api = {
  mode,
  relay,
  people,
  labels,

  // Cameras first, then everyone at once: nobody's join waits for anybody's camera.
  async add(names, { debugFor = null } = {}) {
    const streams = await Promise.all(names.map(() => getMedia()));
    names.forEach((name, i) => {
      if (mode === "call") addCallPerson(name, streams[i]);
      else addMeshPerson(name, streams[i], name === debugFor);
    });
  },

  // Mesh mode: what call.js sends when media is ready. Several names join in one task.
  join(...names) {
    for (const name of names) people.get(name).send({ type: "join_call" });
    return relay.settled();
  },

  peerId(name) {
    return people.get(name).mesh.peerId;
  },

  connections(name) {
    return [...people.get(name).mesh.peers.values()];
  },

  allConnections() {
    return [...people.keys()].flatMap((name) => api.connections(name));
  },

  // Remember `name`'s connections, to check later that they are still the very same objects.
  keep(name) {
    kept.set(name, new Map(people.get(name).mesh.peers));
    return kept.get(name).size;
  },

  stillKept(name) {
    const now = people.get(name).mesh.peers;
    return [...kept.get(name)].map(([peerId, pc]) => now.get(peerId) === pc && pc.connectionState !== "closed");
  },

  socketsOf(name) {
    return sockets.filter((socket) => socket.name === name);
  },

  // The network, or the server, closing `name`'s current socket.
  dropSocket(name, code) {
    const open = api.socketsOf(name).filter((socket) => socket.readyState === 1);
    open.at(-1).serverClose(code);
    return performance.now();
  },

  // A bare CallSocket that joins (resuming once it has a peer id) and records what happens.
  openSocket(name) {
    const log = { opens: [], closes: [], messages: [], peerId: null };
    const socket = new CallSocket(`/ws/test/${name}/`, {
      onOpen: (info) => {
        log.opens.push(info);
        socket.send(log.peerId ? { type: "join_call", resume: log.peerId } : { type: "join_call" });
      },
      onMessage: (message) => {
        log.messages.push(message);
        if (message.type === "welcome") log.peerId = message.peer_id;
      },
      onClose: (event, info) => log.closes.push({ code: event.code, ...info }),
    });
    bareSockets.set(name, { socket, log });
  },

  bare(name) {
    const { socket, log } = bareSockets.get(name);
    return { state: socket.state, ...log, attempts: api.socketsOf(name).map((s) => s.createdAt) };
  },

  sendFrom(name, message) {
    return bareSockets.get(name).socket.send(message);
  },

  closeSocket(name) {
    bareSockets.get(name).socket.close();
  },

  // Later, for everything that asks Date.now(): as if the page had waited.
  advanceClock(ms) {
    clockOffset += ms;
  },

  // What the browser does when the network comes back, or the page is shown again.
  online() {
    window.dispatchEvent(new Event("online"));
    return performance.now();
  },

  shown() {
    Object.defineProperty(document, "visibilityState", { value: "visible", configurable: true });
    document.dispatchEvent(new Event("visibilitychange"));
    return performance.now();
  },

  joinFramesOf(name) {
    return relay.frames.filter((f) => f.name === name && f.message.type === "join_call").map((f) => f.message);
  },

  async devices() {
    return listDevices(labels);
  },

  stopAll() {
    for (const { socket } of bareSockets.values()) socket.close();
    for (const person of people.values()) {
      if (person.handle) person.handle.leave();
      else person.mesh.close();
      stopStream(person.stream);
    }
  },
};

window.__loopback = api;
document.documentElement.dataset.ready = "true";
