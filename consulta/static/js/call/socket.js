// A WebSocket that survives the network: the call's media flows peer to peer, so a
// dropped signalling socket must come back quietly and resume, not end the call.

const HEARTBEAT_MS = 25_000; // docs/signalling.md: home routers drop idle sockets sooner
// The server drops a peer after 75 s of silence; notice a dead socket before it does.
const SILENCE_LIMIT_MS = 70_000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;
// Older ICE candidates and descriptions describe a negotiation the peer has moved on from.
const SIGNAL_MAX_AGE_MS = 10_000;
const QUEUE_LIMIT = 500;
// Refused, gone, abusive, or closed on purpose: trying again would only repeat the answer.
const FINAL_CODES = new Set([1000, 4400, 4403, 4404]);

export function socketUrl(url) {
  if (/^wss?:/.test(url)) return url;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return new URL(url, `${scheme}//${location.host}${location.pathname}`).href;
}

export class CallSocket {
  #url;
  #ws = null;
  #state = "connecting";
  #everOpened = false;
  #attempt = 0;
  #retryTimer = null;
  #heartbeatTimer = null;
  #lastHeard = 0;
  #queue = [];
  #onOnline = () => this.#reconnectNow();
  #onVisible = () => {
    if (document.visibilityState === "visible") this.#reconnectNow();
  };

  constructor(url, { onMessage = () => {}, onOpen = () => {}, onClose = () => {} } = {}) {
    this.#url = socketUrl(url);
    // Public so a page can rewire them after construction.
    this.onMessage = onMessage;
    this.onOpen = onOpen;
    this.onClose = onClose;
    window.addEventListener("online", this.#onOnline);
    document.addEventListener("visibilitychange", this.#onVisible);
    this.#connect();
  }

  get state() {
    return this.#state;
  }

  send(message) {
    if (this.#state === "closed") return false;
    if (this.#state === "open" && this.#ws.readyState === WebSocket.OPEN) {
      this.#ws.send(JSON.stringify(message));
      return true;
    }
    this.#queue.push({ message, at: Date.now() });
    if (this.#queue.length > QUEUE_LIMIT) this.#queue.shift();
    return false;
  }

  close() {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#queue = [];
    this.#stopTimers();
    window.removeEventListener("online", this.#onOnline);
    document.removeEventListener("visibilitychange", this.#onVisible);
    const ws = this.#detach();
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000);
  }

  #connect() {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    let ws;
    try {
      ws = new WebSocket(this.#url);
    } catch (error) {
      console.warn("CallSocket: cannot open", this.#url, error);
      this.#scheduleRetry();
      return;
    }
    this.#ws = ws;
    ws.onopen = () => this.#opened();
    ws.onmessage = (event) => this.#received(event);
    // A close event always follows an error event, so only close needs handling.
    ws.onclose = (event) => this.#dropped(event);
  }

  #opened() {
    const reconnected = this.#everOpened;
    this.#everOpened = true;
    this.#state = "open";
    this.#attempt = 0;
    this.#lastHeard = Date.now();
    this.#heartbeatTimer = setInterval(() => this.#heartbeat(), HEARTBEAT_MS);
    // onOpen first: a resuming join_call must reach the server before queued signals.
    this.onOpen({ reconnected });
    const now = Date.now();
    const queued = this.#queue;
    this.#queue = [];
    for (const { message, at } of queued) {
      if (message.type === "heartbeat") continue;
      if (message.type === "signal" && now - at > SIGNAL_MAX_AGE_MS) continue;
      this.send(message);
    }
  }

  #received(event) {
    this.#lastHeard = Date.now();
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      console.warn("CallSocket: ignoring a frame that is not JSON");
      return;
    }
    this.onMessage(message);
  }

  #heartbeat() {
    if (Date.now() - this.#lastHeard > SILENCE_LIMIT_MS) {
      // A half-open TCP connection (a changed network) can take minutes to report closing.
      const ws = this.#detach();
      ws?.close(4000);
      this.#dropped(new CloseEvent("close", { code: 4000, reason: "silent", wasClean: false }));
      return;
    }
    this.send({ type: "heartbeat" });
  }

  #dropped(event) {
    this.#detach();
    this.#stopTimers();
    if (this.#state === "closed") return;
    const final = FINAL_CODES.has(event.code);
    if (final) {
      this.close();
    } else {
      this.#state = this.#everOpened ? "reconnecting" : "connecting";
      this.#scheduleRetry();
    }
    this.onClose(event, { final });
  }

  #scheduleRetry() {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.#attempt);
    this.#attempt += 1;
    // Jitter spreads out the reconnects of every browser in a clinic after a server restart.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }

  #reconnectNow() {
    if (this.#state === "closed" || this.#state === "open") return;
    if (this.#ws && this.#ws.readyState === WebSocket.CONNECTING) return;
    this.#connect();
  }

  #detach() {
    const ws = this.#ws;
    if (ws) ws.onopen = ws.onmessage = ws.onclose = null;
    this.#ws = null;
    return ws;
  }

  #stopTimers() {
    clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = null;
    if (this.#state === "closed") {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = null;
    }
  }
}
