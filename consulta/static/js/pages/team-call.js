// A team member's call with a caller: the video call, the caller's details and the
// actions on them, and the other waiting callers who can be added to this call.
import { startCall } from "../call/call.js";
import { getMedia } from "../call/devices.js";
import { CallSocket } from "../call/socket.js";
import { format, pageData, postAction } from "./page.js";
import { QueueState } from "./queue-state.js";

const data = pageData();
const L = data.labels;
const status = document.getElementById("call-status");
const ended = document.getElementById("call-ended");
const mini = document.getElementById("queue-mini");
let call = null;

// The camera and the call start together: the socket opens and joins while the camera is
// still starting, so that the connection to the caller is negotiated meanwhile; the tracks
// follow when they come, and the call stops them when it ends (startCall's localStream).
function begin() {
  const media = getMedia().catch(() => getMedia({ video: false })).catch(() => null);
  call = startCall({
    socketUrl: data.socketUrl,
    labels: L,
    container: document.getElementById("call-view"),
    localStream: media,
    canManage: true, // every team member is an account holder: the call manager is theirs
    // A caller in this call goes on hold (back to their waiting screen) through `manage`.
    holdRoles: ["patient"],
    onPeerState: (peerId, state) => state === "connected" && openQueue(),
    onEnded: ({ reason }) => {
      openQueue();
      if (reason === "call_ended") ended.hidden = false;
      else if (reason === "left") location.assign(data.dashboardUrl);
    },
    onError: (code, text) => {
      openQueue();
      status.textContent = text;
    },
  });
}

// Hold and end take us back to the dashboard; the message stays on this page.
for (const form of document.querySelectorAll(".call-actions form")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (form.dataset.action === "end" && !confirm(format(L.endConfirm, { name: document.querySelector(".call-side h2").textContent }))) return;
    const answer = await postAction(form.action);
    status.textContent = answer.message || L.failedAction;
    if (answer.ok) {
      call?.leave();
      location.assign(data.dashboardUrl);
    }
  });
}

const notifyForm = document.getElementById("notify-form");
notifyForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const answer = await postAction(notifyForm.action, { text: notifyForm.elements.text.value });
  status.textContent = answer.message || L.failedAction;
  if (answer.ok) notifyForm.reset();
});

const inviteForm = document.getElementById("invite-form");
inviteForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const answer = await postAction(inviteForm.action);
  status.textContent = answer.message || L.failedAction;
  if (answer.ok) document.getElementById("invite-result").value = answer.url;
});

// The waiting callers, to add one to this call.
const queue = new QueueState();
function renderQueue() {
  const waiting = queue.sorted().filter((c) => c.id !== data.consultationId && c.status !== "in_call");
  mini.replaceChildren(
    ...waiting.map((caller) => {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.textContent = caller.name;
      const add = document.createElement("button");
      add.type = "button";
      add.textContent = L.addToCall;
      add.setAttribute("aria-label", `${L.addToCall}: ${caller.name}`);
      add.addEventListener("click", async () => {
        const answer = await postAction(`${data.callersBase}${caller.id}/add-to/${data.consultationId}/`);
        status.textContent = answer.message || L.failedAction;
      });
      li.append(name, add);
      return li;
    }),
  );
  if (!waiting.length) {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = L.noCallers;
    mini.append(li);
  }
}
// Once the first connection is up (or the call could not be, or after QUEUE_AFTER_MS): the
// list can wait, the call's join and its first picture cannot.
const QUEUE_AFTER_MS = 3_000;
let queueSocket = null;
function openQueue() {
  queueSocket ??= new CallSocket(data.queueSocketUrl, {
    onOpen: () => queueSocket.send({ type: "subscribe" }),
    onMessage: (message) => {
      if (message.type === "snapshot") queue.replace(message.callers);
      else if (message.type === "caller") queue.apply(message.caller);
      else if (message.type === "caller_removed") queue.remove(message.id, message.version);
      else return;
      renderQueue();
    },
    onClose: (_event, { final }) => {
      if (!final) return;
      queue.replace([]); // access ended: the waiting callers leave the screen
      renderQueue();
    },
  });
}

window.addEventListener("pagehide", () => call?.leave());
begin();
setTimeout(openQueue, QUEUE_AFTER_MS);
