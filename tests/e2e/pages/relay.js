// An in-page stand-in for Consulta's signalling server, so the call modules can be
// proven with real WebRTC before (and independently of) the real consumers. It follows
// docs/signalling.md and checks every frame the way consulta/calls/messages.py does
// (extra="forbid"); anything that would get an error frame from the server is recorded
// in `problems`, which the tests require to stay empty.

const PEER_ID = /^[A-Za-z0-9_-]{8,40}$/;
const MAX_FRAME_BYTES = 64 * 1024;
const FIELDS = {
  join_call: ["type", "resume"],
  leave_call: ["type"],
  heartbeat: ["type"],
  media_state: ["type", "audio", "video"],
  signal: ["type", "to", "description", "candidate"],
  // The browser's call-quality summary: the server keeps it, and answers nothing.
  quality: ["type", "rtt_ms", "loss_pct", "kbps_in", "kbps_out", "freezes", "freeze_seconds", "reconnects", "relayed"],
};
const DESCRIPTION_FIELDS = ["type", "sdp"];
const CANDIDATE_FIELDS = ["candidate", "sdpMid", "sdpMLineIndex", "usernameFragment"];
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

function newPeerId() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => ALPHABET[byte % 64]).join("");
}

function sessionId(sdp) {
  return /^o=\S+ (\S+)/m.exec(sdp ?? "")?.[1] ?? null;
}

function extraFields(object, allowed) {
  return Object.keys(object).filter((key) => !allowed.includes(key));
}

// A socket, to the relay, is anything with `name`, `role` and `deliver(text)`.
export class Relay {
  members = new Map(); // peer_id → {peer_id, name, role, audio, video, socket}
  frames = []; // what browsers sent, in order: {name, message}
  problems = [];
  offers = 0;
  glares = 0; // offers sent while the other side's offer to us was still unanswered
  #unanswered = new Set(); // "from>to"
  #pending = 0;
  #blocked = null; // {names, sessions: Map(peer_id → first session id)}
  candidatesDropped = 0;
  offersDropped = 0;
  #dropOffer = null; // [nameA, nameB]
  #losing = null; // {from, to}: members whose signals are being lost
  #refusals = new Map(); // name → sockets still to refuse

  constructor({ capacity = 6, latencyMs = 0 } = {}) {
    this.capacity = capacity;
    this.latencyMs = latencyMs;
  }

  // The next `count` sockets opened by `name` are refused as by a network that is down.
  refuse(name, count) {
    this.#refusals.set(name, count);
  }

  refuses(name) {
    const left = this.#refusals.get(name) ?? 0;
    if (left > 0) this.#refusals.set(name, left - 1);
    return left > 0;
  }

  // The first offer between two people is lost (the other's socket was reconnecting).
  dropFirstOffer(nameA, nameB) {
    this.#dropOffer = [nameA, nameB];
  }

  // The server takes someone out (silent for 75 s, or put on hold): everyone is told,
  // the one taken out included, and that socket is no longer in the call.
  remove(name) {
    const member = this.byName(name);
    this.members.delete(member.peer_id);
    for (const other of [...this.members.values(), member]) {
      this.send(other.socket, { type: "peer_left", peer_id: member.peer_id });
    }
  }

  // A network on which two people's ICE candidates never arrive, until one of them starts
  // a new session (a new RTCPeerConnection): what a stuck connection looks like.
  blockCandidates(nameA, nameB) {
    this.#blocked = { names: [nameA, nameB], sessions: new Map() };
  }


  // Resolves once every frame sent so far has been delivered.
  settled() {
    return new Promise((resolve) => {
      const check = () => (this.#pending === 0 ? resolve() : setTimeout(check, 0));
      check();
    });
  }

  memberOf(socket) {
    return [...this.members.values()].find((member) => member.socket === socket) ?? null;
  }

  byName(name) {
    return [...this.members.values()].find((member) => member.name === name) ?? null;
  }

  // The transport lost the socket: not yet a peer that left (docs/signalling.md, step 6).
  dropped(socket) {
    const member = this.memberOf(socket);
    if (member) member.socket = null;
  }

  receive(socket, text) {
    if (new TextEncoder().encode(text).length > MAX_FRAME_BYTES) return this.#reject(socket, "too_large", text);
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return this.#reject(socket, "invalid", text);
    }
    const fields = FIELDS[message?.type];
    if (!fields || extraFields(message, fields).length) return this.#reject(socket, "invalid", text);
    this.frames.push({ name: socket.name, message });
    const member = this.memberOf(socket);
    if (message.type === "heartbeat") return this.send(socket, { type: "heartbeat_ack" });
    if (message.type === "join_call") return this.#join(socket, member, message.resume);
    if (!member) return this.#reject(socket, "not_in_call", text);
    if (message.type === "leave_call") return this.#leave(member);
    if (message.type === "media_state") return this.#mediaState(socket, member, message, text);
    if (message.type === "quality") return;
    return this.#signal(socket, member, message, text);
  }

  send(socket, message) {
    if (!socket) return; // a dropped socket misses what happens meanwhile, as with the server
    const text = JSON.stringify(message);
    this.#pending += 1;
    setTimeout(() => {
      this.#pending -= 1;
      socket.deliver(text);
    }, this.latencyMs);
  }

  welcome(member, { without = [] } = {}) {
    const peers = [...this.members.values()]
      .filter((other) => other !== member && !without.includes(other.peer_id))
      .map(({ peer_id, name, role, audio, video }) => ({ peer_id, name, role, audio, video }));
    this.send(member.socket, { type: "welcome", peer_id: member.peer_id, peers, ice_servers: [] });
  }

  endCall() {
    for (const member of this.members.values()) this.send(member.socket, { type: "call_ended" });
    this.members.clear();
  }

  #others(member) {
    return [...this.members.values()].filter((other) => other !== member);
  }

  #join(socket, member, resume) {
    if (resume !== undefined && !PEER_ID.test(resume)) return this.#reject(socket, "invalid", resume);
    const resumed = resume !== undefined ? this.members.get(resume) : undefined;
    if (resumed) {
      resumed.socket = socket;
      return this.welcome(resumed); // no peer_joined on a resume
    }
    if (member) return this.welcome(member);
    if (this.members.size >= this.capacity) {
      return this.send(socket, { type: "error", code: "call_full", message: "This call is full." });
    }
    const joined = { peer_id: newPeerId(), name: socket.name, role: socket.role, audio: true, video: true, socket };
    this.members.set(joined.peer_id, joined);
    this.welcome(joined);
    const { socket: _, ...peer } = joined;
    for (const other of this.#others(joined)) this.send(other.socket, { type: "peer_joined", peer });
  }

  #leave(member) {
    this.members.delete(member.peer_id);
    for (const other of this.members.values()) this.send(other.socket, { type: "peer_left", peer_id: member.peer_id });
  }

  #mediaState(socket, member, { audio, video }, text) {
    if (typeof audio !== "boolean" || typeof video !== "boolean") return this.#reject(socket, "invalid", text);
    Object.assign(member, { audio, video });
    for (const other of this.#others(member)) {
      this.send(other.socket, { type: "media_state", peer_id: member.peer_id, audio, video });
    }
  }

  #signal(socket, member, { to, description = null, candidate = null }, text) {
    const target = this.members.get(to);
    if (!PEER_ID.test(to ?? "") || !target || target === member) return this.#reject(socket, "invalid", text);
    if (description) {
      const bad =
        extraFields(description, DESCRIPTION_FIELDS).length ||
        !["offer", "answer", "rollback"].includes(description.type) ||
        (description.sdp ?? "").length > 60_000;
      if (bad) return this.#reject(socket, "invalid", text);
      this.#watchGlare(member.peer_id, to, description.type);
    }
    if (candidate) {
      const bad =
        extraFields(candidate, CANDIDATE_FIELDS).length ||
        typeof candidate.candidate !== "string" ||
        candidate.candidate.length > 1_000;
      if (bad) return this.#reject(socket, "invalid", text);
    }
    const relayed = this.#block(member, target, description, candidate);
    if (!relayed) return;
    // The server's OutSignal serialises both optional fields, null when absent.
    this.send(target.socket, { type: "signal", from: member.peer_id, ...relayed });
  }

  #block(member, target, description, candidate) {
    const pairOf = (names) => [member.name, target.name].every((name) => names.includes(name));
    // Lost with the offer: what follows it, until the sender makes a new offer.
    const losing = this.#losing;
    if (losing && losing.from === member && losing.to === target) {
      if (description?.type !== "offer") return null;
      this.#losing = null;
    } else if (description?.type === "offer" && this.#dropOffer && pairOf(this.#dropOffer)) {
      this.#dropOffer = null;
      this.#losing = { from: member, to: target };
      this.offersDropped += 1;
      return null;
    }
    const blocked = this.#blocked;
    const pair = blocked && pairOf(blocked.names);
    if (!pair) return { description, candidate };
    if (description?.type === "offer") {
      const first = blocked.sessions.get(member.peer_id);
      if (first && first !== sessionId(description.sdp)) {
        this.#blocked = null; // a new session: the network is fine again
        return { description, candidate };
      }
      blocked.sessions.set(member.peer_id, sessionId(description.sdp));
    }
    if (candidate) {
      this.candidatesDropped += 1;
      return null;
    }
    // Candidates gathered in time may also travel inside the SDP.
    const sdp = description.sdp.replace(/^a=candidate:.*\r\n/gm, "");
    return { description: { ...description, sdp }, candidate };
  }

  #watchGlare(from, to, type) {
    if (type === "offer") {
      this.offers += 1;
      if (this.#unanswered.has(`${to}>${from}`)) this.glares += 1;
      this.#unanswered.add(`${from}>${to}`);
    } else if (type === "answer") {
      this.#unanswered.delete(`${to}>${from}`);
    }
  }

  #reject(socket, code, text) {
    this.problems.push(`${code} from ${socket.name}: ${String(text).slice(0, 200)}`);
    this.send(socket, { type: "error", code, message: "rejected by the test relay" });
  }
}

// A WebSocket look-alike whose far end is the relay, for CallSocket and startCall.
export function installFakeWebSocket(relay) {
  const sockets = [];
  class FakeWebSocket {
    static CONNECTING = 0;
    static OPEN = 1;
    static CLOSING = 2;
    static CLOSED = 3;
    readyState = FakeWebSocket.CONNECTING;
    onopen = null;
    onmessage = null;
    onclose = null;
    onerror = null;
    role = "staff";

    constructor(url) {
      this.url = url;
      this.name = new URL(url).pathname.split("/").filter(Boolean).pop();
      this.createdAt = performance.now();
      sockets.push(this);
      setTimeout(() => {
        if (this.readyState !== FakeWebSocket.CONNECTING) return;
        if (relay.refuses(this.name)) {
          this.readyState = FakeWebSocket.CLOSED;
          this.onclose?.(new CloseEvent("close", { code: 1006, wasClean: false }));
          return;
        }
        this.readyState = FakeWebSocket.OPEN;
        this.onopen?.(new Event("open"));
      }, 0);
    }

    send(text) {
      if (this.readyState !== FakeWebSocket.OPEN) throw new DOMException("not open", "InvalidStateError");
      relay.receive(this, text);
    }

    deliver(text) {
      if (this.readyState === FakeWebSocket.OPEN) this.onmessage?.(new MessageEvent("message", { data: text }));
    }

    close(code = 1000, reason = "") {
      this.serverClose(code, reason);
    }

    // The server's side closing it, or the network losing it (1006).
    serverClose(code, reason = "") {
      if (this.readyState >= FakeWebSocket.CLOSING) return;
      this.readyState = FakeWebSocket.CLOSED;
      relay.dropped(this);
      setTimeout(() => this.onclose?.(new CloseEvent("close", { code, reason, wasClean: code !== 1006 })), 0);
    }
  }
  window.WebSocket = FakeWebSocket;
  return sockets;
}
