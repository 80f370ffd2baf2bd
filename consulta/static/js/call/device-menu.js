// Camera, microphone and speaker, switched mid-call: three labelled selects (devices.js lists
// them, LocalMedia switches the tracks, CallView routes the sound of every remote tile).

import { canChooseSpeaker, listDevices } from "./devices.js";
import { el, uniqueId } from "./dom.js";

export class DeviceMenu {
  #labels;
  #media;
  #view;
  #onError;
  #selects = {};
  #speaker = "";
  #onDeviceChange = () => this.refresh();

  constructor({ labels, media, view, speakerId = null, onError = () => {} }) {
    this.#labels = labels;
    this.#media = media;
    this.#view = view;
    this.#onError = onError;
    this.#speaker = speakerId ?? "";
    const headingId = uniqueId("call-devices-heading");
    this.root = el("section", { class: "call-panel call-devices", id: uniqueId("call-devices"), "aria-labelledby": headingId });
    this.root.append(el("h2", { id: headingId }, labels.devices ?? ""));
    const fields = [
      ["video", labels.camera],
      ["audio", labels.microphone],
      ["speaker", labels.speaker],
    ];
    for (const [kind, label] of fields) {
      const id = uniqueId(`call-device-${kind}`);
      const field = el("div", { class: "field" });
      const select = el("select", { id, "data-device": kind });
      select.addEventListener("change", () => this.#choose(kind, select.value));
      field.append(el("label", { for: id }, label ?? ""), select);
      if (kind === "speaker") field.hidden = !canChooseSpeaker(); // the choice would do nothing
      this.#selects[kind] = select;
      this.root.append(field);
    }
    navigator.mediaDevices?.addEventListener?.("devicechange", this.#onDeviceChange);
  }

  async refresh() {
    let found;
    try {
      found = await listDevices(this.#labels);
    } catch {
      return;
    }
    const fill = (select, devices, chosen) => {
      const options = [new Option(this.#labels.defaultDevice ?? "", "")];
      for (const d of devices) options.push(new Option(d.label, d.deviceId, false, d.deviceId === chosen));
      select.replaceChildren(...options);
    };
    fill(this.#selects.video, found.cameras, this.#media.deviceId("video"));
    fill(this.#selects.audio, found.microphones, this.#media.deviceId("audio"));
    fill(this.#selects.speaker, found.speakers, this.#speaker);
  }

  setEnabled(enabled) {
    for (const select of Object.values(this.#selects)) select.disabled = !enabled;
  }

  close() {
    navigator.mediaDevices?.removeEventListener?.("devicechange", this.#onDeviceChange);
    this.setEnabled(false);
  }

  async #choose(kind, deviceId) {
    const select = this.#selects[kind];
    select.disabled = true;
    try {
      if (kind === "speaker") {
        this.#speaker = deviceId;
        await this.#view.setSpeaker(deviceId);
      } else {
        await this.#media.switchDevice(kind, deviceId);
      }
      this.#onError(null);
    } catch (error) {
      console.warn("DeviceMenu: could not switch", kind, error);
      this.#onError(this.#labels.device_failed ?? "");
    } finally {
      select.disabled = false;
      await this.refresh();
    }
  }
}
