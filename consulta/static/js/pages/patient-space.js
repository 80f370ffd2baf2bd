// The patient's own space: their status, the clinic's messages, and — when a clinician
// joins — the call, all over one socket that only ever carries this patient's data.
import { startCall } from "../call/call.js";
import { getMedia, stopStream } from "../call/devices.js";
import { CallSocket } from "../call/socket.js";
import { loadDevices } from "./device-choice.js";
import { format, pageData, plural, setBehind } from "./page.js";

const data = pageData();
const L = data.labels;
const root = document.getElementById("patient-space");
const views = {
  waiting: document.getElementById("waiting-view"),
  call: document.getElementById("call-view"),
  end: document.getElementById("end-view"),
};
const heading = document.getElementById("waiting-heading");
const statusText = document.getElementById("status-text");
const positionText = document.getElementById("position-text");
const notices = document.getElementById("notices");
const selfView = document.getElementById("self-view");

let stream = null;
let call = null;
let state = "connecting";

async function media() {
  if (stream) return stream;
  const chosen = loadDevices();
  try {
    stream = await getMedia({ videoDeviceId: chosen.videoDeviceId, audioDeviceId: chosen.audioDeviceId });
  } catch {
    // A device chosen earlier may be gone (unplugged): fall back to the defaults.
    stream = await getMedia().catch(() => null);
  }
  selfView.srcObject = stream;
  return stream;
}

function showOnly(name) {
  for (const [key, view] of Object.entries(views)) view.hidden = key !== name;
  notices.hidden = name === "end"; // the clinic's messages: while waiting and in the call
}

// A transfer moves the patient to another clinic's waiting area: say whose it is now.
// The title is "<clinic> · <site>", as base.html writes it.
const titleSuffix = document.title.includes(" · ") ? document.title.slice(document.title.lastIndexOf(" · ")) : "";
function showClinic(name) {
  if (!name) return;
  document.title = `${name}${titleSuffix}`;
  heading.textContent = format(L.waitingHeading, { clinic: name });
}

function setState(next, message = {}) {
  state = next;
  root.dataset.state = next;
  if (next === "waiting" || next === "on_hold") {
    stopCall();
    showOnly("waiting");
    statusText.textContent = next === "waiting" ? L.statusWaiting : L.statusOnHold;
    const hasPosition = next === "waiting" && message.position;
    positionText.hidden = !hasPosition;
    if (hasPosition) {
      const minutes = message.estimated_wait_minutes;
      const label = minutes ? plural(L.positionAndWait, minutes) : L.position;
      positionText.textContent = format(label, {
        position: message.position,
        minutes: message.estimated_wait_minutes,
      });
    }
  } else if (next === "in_call") {
    startTheCall();
  } else if (next === "ended" || next === "left" || next === "removed") {
    stopCall();
    stopStream(stream);
    stream = null;
    selfView.srcObject = null;
    socket.close();
    if (next === "removed") views.end.querySelector("h1").textContent = L.removed;
    showOnly("end");
  }
}

async function startTheCall() {
  if (call) return;
  showOnly("call");
  const local = await media();
  if (state !== "in_call" || call) return;
  call = startCall({
    socket,
    labels: L,
    container: views.call,
    localStream: local,
    speakerId: loadDevices().speakerId,
    onEnded: ({ reason }) => {
      call = null;
      setBehind(views.call, false);
      if (reason === "removed") setState("removed"); // the server closes this socket next
    },
    onError: (code, text) => {
      statusText.textContent = text;
      call?.view.notify(text); // the status line is under the call while it lasts
    },
    onMessage,
  });
  // The call covers the page: what is behind it is inert until it ends, but for the clinic's
  // messages, which float over the call (call.css) and must still be read out.
  setBehind(views.call, true, { keep: [notices] });
}

// Also after the call ended by itself: nothing of it (tiles, chat) stays on the page.
function stopCall() {
  const ending = call;
  call = null;
  ending?.detach();
  views.call.replaceChildren();
}

function onMessage(message) {
  if (message.type === "status") {
    showClinic(message.clinic_name);
    setState(message.state, message);
  } else if (message.type === "notice") {
    const item = document.createElement("li");
    item.className = "notice";
    item.textContent = message.text; // the clinic's words: text, never HTML
    notices.prepend(item);
  }
}

const socket = new CallSocket(data.socketUrl, {
  onMessage,
  onOpen: () => {
    if (state === "connecting") statusText.textContent = L.serverBack;
  },
  onClose: (event, { final } = {}) => {
    if (final && event.code === 4404) setState("ended");
    else if (!final) statusText.textContent = L.serverLost;
  },
});
media();
