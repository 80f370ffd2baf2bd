// A meeting room or user room, as its hosts see it (rooms/meeting_room.html lists the page
// data and elements). The host socket opens with the page: knocks show at once, before
// anyone enters; "Enter the room" then starts the call on that same socket.
// In the call, which covers the page, the side panel's content (knocks, invite by link) is
// the call's "Guests" panel, and what the page would say in #call-status the call's notice.
import { startCall } from "../call/call.js";
import { getMedia } from "../call/devices.js";
import { disclosure, el, uniqueId } from "../call/dom.js";
import { CallSocket } from "../call/socket.js";
import { format, pageData, plural, postAction, setBehind } from "./page.js";

const data = pageData();
const L = data.labels;
const lobby = document.getElementById("room-lobby");
const enter = document.getElementById("enter-room");
const status = document.getElementById("call-status");
const callView = document.getElementById("call-view");
const closed = document.getElementById("room-closed");
const knockList = document.getElementById("knocks");
const noKnocks = document.getElementById("no-knocks");
const side = document.querySelector(".call-side");
const knocks = new Map(); // knock_id → {name, item}
let call = null;
let guests = null; // in the call: its "Guests" panel, {panel, count}

function inCall() {
  return Boolean(call && !call.finished);
}

// In the call the page behind is covered: its status line would say it unseen.
function say(text) {
  if (inCall()) call.view.notify(text ?? "");
  else status.textContent = text ?? "";
}

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
  showKnockCount();
  // The list is in a panel that may be closed: the call's notice says it at once.
  if (inCall()) call.view.notify(format(L.knocking, { name }));
}

function resolveKnock({ knock_id: id, admitted, withdrawn }, text = null) {
  const knock = knocks.get(id);
  if (!knock) return;
  knock.item.remove();
  knocks.delete(id);
  noKnocks.hidden = knocks.size > 0;
  showKnockCount();
  const key = withdrawn ? "knock_withdrawn" : admitted ? "knock_admitted" : "knock_declined";
  say(text ?? format(L[key], { name: knock.name }));
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
  else if (code !== "call_full") say(text);
}

// --- In the call: the "Guests" panel, the page behind inert ------------------------------------

// The side panel's content moves into the call (the same nodes: the list, its live region,
// the form keep working), and back to the page when the call ends.
function openGuests(view) {
  const panel = el("section", { class: "call-panel call-guests", id: uniqueId("call-guests"), "aria-label": L.guests });
  panel.append(...side.childNodes);
  const { toggle } = disclosure(L.guests, panel);
  toggle.dataset.action = "guests";
  const count = el("span", { class: "call-guests-count", hidden: "" });
  toggle.append(count);
  view.addControl(toggle);
  view.addPanel(panel);
  guests = { panel, count };
  showKnockCount();
  setBehind(callView, true);
}

function closeGuests() {
  setBehind(callView, false);
  if (!guests) return;
  side.append(...guests.panel.childNodes);
  guests = null;
}

// On the panel's button, as the chat's unread count: "Guests 2 knocking".
function showKnockCount() {
  if (!guests) return;
  const n = knocks.size;
  guests.count.hidden = n === 0;
  // The leading space keeps the button's accessible name readable.
  guests.count.textContent = n ? ` ${format(plural(L.guests_knocking, n), { n })}` : "";
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
      closeGuests();
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
  openGuests(call.view);
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
  say(answer.message || L.invite_failed);
  if (answer.ok) {
    document.getElementById("invite-result").value = answer.url;
    inviteForm.reset();
  }
});

