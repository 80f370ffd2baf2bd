// What the dashboard can do before Join is pressed. As the pointer reaches a caller's Join
// (or Resume) button, or the keyboard focuses it, the camera starts and that call's socket
// opens: the click then finds both ready, and the call starts at once. Unused, both stop
// again WARM_MS later. Nothing is sent anywhere before the click.
import { getMedia } from "../call/devices.js";
import { CallSocket } from "../call/socket.js";

const WARM_MS = 10_000;

// The camera (or the microphone alone, or nothing): a promise that never rejects.
export function startMedia() {
  return getMedia()
    .catch(() => getMedia({ video: false }))
    .catch(() => null);
}

function stop(media) {
  media?.then((stream) => {
    for (const track of stream?.getTracks() ?? []) track.stop();
  });
}

export class CallWarmup {
  #media = null; // a promise of the camera's stream
  #socket = null;
  #socketUrl = null;
  #timer = null;

  // The pointer or the focus is on the Join of the call at `socketUrl`.
  warm(socketUrl) {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.cool(), WARM_MS);
    this.#media ??= startMedia();
    if (this.#socketUrl === socketUrl && this.#socket?.state !== "closed") return;
    this.#socket?.close();
    this.#socket = new CallSocket(socketUrl);
    this.#socketUrl = socketUrl;
  }

  // Join was pressed: what is warm for that call, handed over to it (the caller owns it now).
  // Either part is null when cold: the call then starts it itself.
  take(socketUrl) {
    clearTimeout(this.#timer);
    const media = this.#media;
    const socket = this.#socketUrl === socketUrl && this.#socket?.state !== "closed" ? this.#socket : null;
    if (!socket) this.#socket?.close();
    this.#media = this.#socket = this.#socketUrl = null;
    return { media, socket };
  }

  cool() {
    clearTimeout(this.#timer);
    stop(this.#media);
    this.#socket?.close();
    this.#media = this.#socket = this.#socketUrl = null;
  }
}
