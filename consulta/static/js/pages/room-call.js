// A meeting room or user room, as its hosts see it (rooms/meeting_room.html lists the page
// data and elements). The host socket opens with the page: knocks show at once, before
// anyone enters; "Enter the room" then starts the call on that same socket.
import { startCall } from "../call/call.js";
import { getMedia } from "../call/devices.js";
import { el } from "../call/dom.js";
import { CallSocket } from "../call/socket.js";
import { format, pageData, postAction } from "./page.js";

const data = pageData();
const L = data.labels;
const lobby = document.getElementById("room-lobby");
const enter = document.getElementById("enter-room");
const status = document.getElementById("call-status");
const callView = document.getElementById("call-view");
const closed = document.getElementById("room-closed");
const knockList = document.getElementById("knocks");
const noKnocks = document.getElementById("no-knocks");
const knocks = new Map(); // knock_id → {name, item}
let call = null;

// --- Knocks ----------------------------------------------------------------------------------

function showKnock({ knock_id: id, name }) {
  if (knocks.has(id)) return; // sent twice when it raced this socket's connecting
  const item = el("li", { class: "knock", "data-knock-id": id });
  const answer = (type) => {
    for (const button of item.querySelectorAll("button")) button.disabled = true;
    socket.send({ type, knock_id: id });
  };
  const admit = el("button", { type: "button", class: "primary", "aria-label": format(L.admit_name, { name }) }, L.admit);
  const decline = el("button", { type: "button", "aria-label": format(L.decline_name, { name }) }, L.decline);
  admit.addEventListener("click", () => answer("admit"));
  decline.addEventListener("click", () => answer("decline"));
  const actions = el("span", { class: "knock-actions" });
  actions.append(admit, decline);
  item.append(el("span", { class: "knock-name" }, format(L.knocking, { name })), " ", actions);
  knocks.set(id, { name, item });
  knockList.append(item);
  noKnocks.hidden = true;
}

function resolveKnock({ knock_id: id, admitted, withdrawn }, text = null) {
  const knock = knocks.get(id);
  if (!knock) return;
  knock.item.remove();
  knocks.delete(id);
  noKnocks.hidden = knocks.size > 0;
  const key = withdrawn ? "knock_withdrawn" : admitted ? "knock_admitted" : "knock_declined";
  status.textContent = text ?? format(L[key], { name: knock.name });
}

// An answer that came too late: the knock was answered elsewhere or withdrawn.
function knockGone() {
  for (const [id, knock] of knocks) {
    if ([...knock.item.querySelectorAll("button")].every((b) => b.disabled)) resolveKnock({ knock_id: id }, L.knock_answered);
  }
}

function onMessage(message) {
  if (message.type === "knock") showKnock(message);
  else if (message.type === "knock_resolved") resolveKnock(message);
  else if (message.type === "error") onError(message.code, message.message);
}

function onError(code, text) {
  if (code === "no_such_knock") knockGone();
  else if (code !== "call_full") status.textContent = text ?? "";
}

// --- The room --------------------------------------------------------------------------------

function roomClosed() {
  call?.detach(); // stops the camera and microphone too
  call = null;
  lobby.hidden = true;
  callView.hidden = true;
  closed.hidden = false;
}

function enterRoom() {
  enter.disabled = true;
  status.textContent = "";
  lobby.hidden = true;
  callView.hidden = false;
  callView.replaceChildren();
  // The call joins while the camera starts; its tracks follow, and the call stops them when
  // it ends (startCall's localStream). Without a camera: by voice, or just to listen.
  const media = getMedia().catch(() => getMedia({ video: false })).catch(() => null);
  call = startCall({
    socket,
    labels: L,
    container: callView,
    localStream: media,
    canManage: data.canManage,
    holdRoles: ["guest"], // back to the door: they knock again, and a host lets them in again
    onEnded: ({ reason }) => {
      call = null;
      if (reason === "left") location.assign(data.leaveUrl);
      else if (reason === "call_ended" || reason === "ended") roomClosed();
      else if (reason === "call_full") {
        // The view says why; the lobby lets them try again, knocks keep coming meanwhile.
        status.textContent = L.call_full;
        callView.hidden = true;
        lobby.hidden = false;
        enter.disabled = false;
      }
    },
    onError,
    onMessage,
  });
}

const socket = new CallSocket(data.socketUrl, {
  onMessage,
  onClose: (event, { final }) => {
    if (final && (event.code === 4403 || event.code === 4404)) roomClosed();
  },
});

enter.addEventListener("click", enterRoom);

const inviteForm = document.getElementById("invite-form");
inviteForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const answer = await postAction(data.inviteUrl, Object.fromEntries(new FormData(inviteForm)));
  status.textContent = answer.message || L.invite_failed;
  if (answer.ok) {
    document.getElementById("invite-result").value = answer.url;
    inviteForm.reset();
  }
});

window.addEventListener("pagehide", () => call?.leave());
