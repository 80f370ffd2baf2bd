// Cameras, microphones and speakers. Kept apart from the call so the pre-call check
// and the device menu of a running call share one way of asking for media.

// 640×480 keeps a six-way mesh within a home connection's upload (about 350 kbit/s a peer).
const VIDEO = { width: { ideal: 640 }, height: { ideal: 480 } };

export async function getMedia({ audioDeviceId = null, videoDeviceId = null, audio = true, video = true } = {}) {
  return navigator.mediaDevices.getUserMedia({
    // exact, not ideal: the person picked that device, and silently getting another is worse than an error
    audio: audio && (audioDeviceId ? { deviceId: { exact: audioDeviceId } } : true),
    video: video && (videoDeviceId ? { ...VIDEO, deviceId: { exact: videoDeviceId } } : VIDEO),
  });
}

// labels.camera_fallback etc. hold a translated "%(number)s" template, e.g. "Camera %(number)s":
// browsers hide device names until the page may use a device.
export async function listDevices(labels = {}) {
  const found = { cameras: [], microphones: [], speakers: [] };
  const groups = {
    videoinput: [found.cameras, labels.camera_fallback],
    audioinput: [found.microphones, labels.microphone_fallback],
    audiooutput: [found.speakers, labels.speaker_fallback],
  };
  for (const device of await navigator.mediaDevices.enumerateDevices()) {
    const group = groups[device.kind];
    // Without permission the browser lists placeholders with no id: nothing one could pick.
    if (!group || !device.deviceId) continue;
    const [list, template] = group;
    const number = String(list.length + 1);
    list.push({
      deviceId: device.deviceId,
      groupId: device.groupId,
      label: device.label || (template ?? "%(number)s").replace("%(number)s", number),
    });
  }
  return found;
}

export function canChooseSpeaker() {
  return typeof HTMLMediaElement !== "undefined" && "setSinkId" in HTMLMediaElement.prototype;
}

// Returns false where the browser cannot route audio (Safari, Firefox without the pref):
// the page should then hide the speaker menu rather than offer a choice that does nothing.
export async function setSpeaker(mediaElement, deviceId) {
  if (!canChooseSpeaker()) return false;
  await mediaElement.setSinkId(deviceId ?? "");
  return true;
}

export function stopStream(stream) {
  for (const track of stream?.getTracks() ?? []) track.stop();
}
