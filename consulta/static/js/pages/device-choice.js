// The camera, microphone and speaker the patient chose before entering, kept for the
// waiting screen and the call in this tab only.
const KEY = "consulta.devices";

export function loadDevices() {
  try {
    return { videoDeviceId: null, audioDeviceId: null, speakerId: null, ...JSON.parse(sessionStorage.getItem(KEY) ?? "{}") };
  } catch {
    return { videoDeviceId: null, audioDeviceId: null, speakerId: null };
  }
}

export function saveDevices(choice) {
  sessionStorage.setItem(KEY, JSON.stringify(choice));
}
