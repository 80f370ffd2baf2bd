// What this browser sends: switching camera or microphone mid-call, and sharing the screen.
// Every change replaces the track on every peer connection (Mesh.replaceTrack): no
// renegotiation, no message; the others simply receive other pictures or sound.
//
// The page owns the stream it passed in and stops its tracks when the call is over; this
// module stops what it replaced, and whatever it acquired that is not in that stream.

import { getMedia } from "./devices.js";

export function canShareScreen() {
  return Boolean(navigator.mediaDevices?.getDisplayMedia);
}

export class LocalMedia {
  #stream;
  #mesh;
  #view;
  #onChange;
  #camera = null; // the camera track put aside while the screen is shared
  #screen = null;
  #closed = false;

  constructor({ stream, mesh, view, onChange = () => {} }) {
    this.#stream = stream;
    this.#mesh = mesh;
    this.#view = view;
    this.#onChange = onChange;
  }

  get sharing() {
    return this.#screen !== null;
  }

  // The device of the track now in use for `kind` ("audio" or "video"), to preselect menus.
  deviceId(kind) {
    const track = kind === "video" && this.#screen ? this.#camera : this.#current(kind);
    return track?.getSettings().deviceId ?? "";
  }

  async switchDevice(kind, deviceId) {
    const old = kind === "video" && this.#screen ? this.#camera : this.#current(kind);
    const ask = { audio: kind === "audio", video: kind === "video" };
    ask[kind === "audio" ? "audioDeviceId" : "videoDeviceId"] = deviceId || null;
    let fresh;
    try {
      fresh = await getMedia(ask);
    } catch {
      // Phones often open one camera at a time: let go of the old one and ask again.
      old?.stop();
      fresh = await getMedia(ask);
    }
    const track = fresh.getTracks().find((t) => t.kind === kind);
    if (this.#closed) return track.stop();
    if (kind === "video" && this.#screen) {
      this.#camera = track; // used again when the sharing stops
    } else {
      await this.#send(kind, track);
    }
    if (old && old !== track) old.stop();
    this.#onChange(this);
  }

  // Tracks that come after the call began (the camera was still starting): each is sent in
  // its kind's place, or put aside while the screen is shared. A device switched meanwhile
  // was the person's choice: it stays, and the late track of that kind is stopped.
  async addTracks(tracks) {
    for (const track of tracks) {
      const kind = track.kind;
      const sharingVideo = kind === "video" && this.#screen;
      if (this.#closed || (sharingVideo ? this.#camera : this.#current(kind))) {
        track.stop();
      } else if (sharingVideo) {
        this.#camera = track; // sent when the sharing stops
      } else {
        await this.#send(kind, track);
      }
    }
    this.#onChange(this);
  }

  // Must run straight from a click: browsers only show the screen picker after one.
  async startShare() {
    if (this.#screen || this.#closed) return;
    const display = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const screen = display.getVideoTracks()[0];
    if (this.#closed) return screen.stop();
    // "detail": keep the resolution, let the frame rate drop; text stays readable.
    if ("contentHint" in screen) screen.contentHint = "detail";
    screen.addEventListener("ended", () => this.stopShare()); // the browser's own "Stop sharing"
    this.#camera = this.#current("video");
    this.#screen = screen;
    const sent = this.#send("video", screen);
    this.#view.setSharing(true);
    await sent;
    this.#onChange(this);
  }

  async stopShare() {
    const screen = this.#screen;
    if (!screen) return;
    this.#screen = null;
    screen.stop();
    const camera = this.#camera;
    this.#camera = null;
    this.#view.setSharing(false);
    await this.#send("video", camera);
    this.#onChange(this);
  }

  // The call is over: the camera goes back into the page's stream (the page stops it).
  close() {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#screen) {
      this.#screen.stop();
      this.#screen = null;
      this.#mesh.replaceTrack("video", this.#camera); // puts it back into the stream at once
      this.#camera = null;
    }
  }

  #current(kind) {
    return this.#stream?.getTracks().find((t) => t.kind === kind) ?? null;
  }

  async #send(kind, track) {
    const sent = this.#mesh.replaceTrack(kind, track); // changes the stream before it awaits
    this.#view.setLocalStream(this.#stream);
    this.#view.refreshLocal();
    await sent;
  }
}
