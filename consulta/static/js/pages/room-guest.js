// A guest at a room's door (rooms/guest.html lists the page data and elements): knock under
// the name given on the page, wait to be let in, then take part in the call on the same socket.
// Put on hold by a host, the guest is back at the door, knocking again, until let in again.
import { startCall } from "../call/call.js";
import { getMedia, stopStream } from "../call/devices.js";
import { CallSocket } from "../call/socket.js";
import { pageData, setBehind } from "./page.js";

const data = pageData();
const L = data.labels;
const views = {
  knock: document.getElementById("knock-view"),
  call: document.getElementById("call-view"),
  declined: document.getElementById("declined-view"),
  gone: document.getElementById("gone-view"),
  ended: document.getElementById("call-ended"),
};
const knockStatus = document.getElementById("knock-status");
const selfView = document.getElementById("self-view");
let stream = null;
let call = null;
let over = false;

function showOnly(name) {
  for (const [key, view] of Object.entries(views)) view.hidden = key !== name;
}

// Asked at once: the preview while waiting, and no delay once let in.
const media = getMedia()
  .catch(() => getMedia({ video: false }))
  .catch(() => null)
  .then((s) => {
    stream = s;
    if (!over) selfView.srcObject = s;
    else stopStream(s);
    return s;
  });

function finish(view) {
  over = true;
  call?.detach();
  call = null;
  stopStream(stream);
  stream = null;
  selfView.srcObject = null;
  socket.close();
  showOnly(view);
}

async function admitted() {
  if (call || over) return;
  knockStatus.textContent = L.admitted ?? "";
  const local = await media;
  if (call || over) return;
  selfView.srcObject = null;
  showOnly("call");
  call = startCall({
    socket,
    labels: L,
    container: views.call,
    localStream: local,
    canManage: false,
    // After a reconnect the server knows this guest again only once it has knocked.
    beforeJoin: (s) => s.send({ type: "knock", name: data.guestName }),
    onEnded: ({ reason }) => {
      call = null;
      setBehind(views.call, false);
      if (reason === "call_ended" || reason === "left") finish("ended");
      else if (reason === "ended") finish("gone");
      else if (reason === "removed") {
        over = true;
        stopStream(stream); // the view says why; the server closes the socket
      }
    },
    onError: (code) => {
      // Away too long: the place is gone, and the knock waits for an answer again.
      if (code === "not_admitted") {
        call?.detach();
        call = null;
        views.call.replaceChildren();
        knockStatus.textContent = L.knock_pending_help ?? "";
        showOnly("knock");
      }
    },
    onMessage,
  });
  setBehind(views.call, true); // the call covers the page: out of the keyboard's way behind it
}

// A host put us on hold: the server took us out of the call and knocks again for us.
function onHold() {
  call?.detach();
  call = null;
  views.call.replaceChildren();
  knockStatus.textContent = L.on_hold ?? "";
  if (!over) selfView.srcObject = stream;
  showOnly("knock");
}

function onMessage(message) {
  switch (message.type) {
    case "on_hold":
      onHold();
      return;
    case "knock_pending":
      return; // the page already says so, with the guest's name
    case "admitted":
      admitted();
      return;
    case "declined":
      finish("declined");
      return;
    case "error":
      if (message.code === "ended") finish("gone");
      return;
  }
}

const socket = new CallSocket(data.socketUrl, {
  onMessage,
  // Again after every reconnect while waiting: the knock of a closed socket was withdrawn.
  onOpen: () => socket.send({ type: "knock", name: data.guestName }),
  onClose: (event, { final }) => {
    if (!final || over) return;
    finish(event.code === 4404 ? "gone" : event.code === 4403 ? "declined" : "ended");
  },
});
showOnly("knock");
