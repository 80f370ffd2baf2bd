// The waiting-area dashboard: live caller cards, alerts, the actions on each caller, and
// the call with one of them, on this same page (consultation-call.js): the queue stays live
// behind the call, and the page returns to it when the call ends.
// Subscribe first, then the snapshot, then events: each card carries a version, so an
// event that raced the snapshot is applied once, in order, or not at all.
import { CallSocket } from "../call/socket.js";
import { CallWarmup } from "./call-warmup.js";
import { ConsultationCall } from "./consultation-call.js";
import { QueueState, isUrgent } from "./queue-state.js";
import { languageRow } from "./caller-details.js";
import { button, el, format, pageData, plural, postAction, setBehind } from "./page.js";

const data = pageData();
const L = data.labels;
const list = document.getElementById("callers");
const empty = document.getElementById("no-callers");
const live = document.getElementById("live-state");
const result = document.getElementById("action-result");
const search = document.getElementById("caller-search");
const sort = document.getElementById("caller-sort");
const stage = document.getElementById("call-stage");
const baseTitle = document.title;
const URGENT_MS = data.urgentAfterMinutes * 60_000;
// Triage reasons, [code, label] in this page's language (a card's own label is the sender's).
const URGENT_REASONS = new Map(data.urgentReasons ?? []);

const queue = new QueueState();
let primed = false; // the first snapshot is not "new callers"

function waitedText(since) {
  const minutes = Math.max(0, Math.floor((Date.now() - Date.parse(since)) / 60_000));
  return format(L.waitedFor, { time: format(plural(L.minutes, minutes), { n: minutes }) });
}

const STATUS_LABEL = { waiting: "waiting", in_call: "inCall", on_hold: "onHold" };

function urgentLabel(caller) {
  return URGENT_REASONS.get(caller.urgent) ?? caller.urgent_label ?? caller.urgent;
}

function renderCard(caller) {
  const li = el("li", { class: "caller", "data-id": caller.id, "data-status": caller.status, "data-urgent": caller.urgent ?? "" });
  // "urgent": waiting long (the clock's); "marked-urgent": triaged by the team, with its reason.
  const urgent = caller.status === "waiting" && Date.now() - Date.parse(caller.waiting_since) > URGENT_MS;
  if (urgent) li.classList.add("urgent");
  const head = el("div", { class: "caller-head" });
  head.append(el("h2", { class: "caller-name" }, caller.name), el("span", { class: "caller-status" }, L[STATUS_LABEL[caller.status]]));
  if (isUrgent(caller)) {
    li.classList.add("marked-urgent");
    head.append(el("strong", { class: "urgent-badge" }, format(L.urgentBadge, { reason: urgentLabel(caller) })));
  }
  li.append(head);
  li.append(el("p", { class: "caller-wait", "data-since": caller.waiting_since }, waitedText(caller.waiting_since)));
  if (!caller.connected) li.append(el("p", { class: "caller-offline" }, L.offline));
  if (caller.in_call_with) li.append(el("p", { class: "muted" }, L.inCallWith));
  const details = el("dl", { class: "caller-details" });
  details.append(...languageRow(caller, L, data.languages));
  const phone = el("dd");
  phone.append(el("bdi", { dir: "ltr" }, caller.phone)); // a number reads left to right, in Arabic text too
  details.append(el("dt", {}, data.labels.phone ?? "☎"), phone);
  for (const [label, value] of caller.answers) details.append(el("dt", {}, label), el("dd", {}, value || "—"));
  li.append(details);
  li.append(actions(caller));
  return li;
}

function actions(caller) {
  const bar = el("div", { class: "caller-actions" });
  const name = caller.name;
  const joinLabel = caller.status === "on_hold" ? L.resume : L.join;
  bar.append(button(joinLabel, () => join(caller), { class: "primary", "data-join": String(caller.id) }));
  bar.append(button(L.notify, () => toggleNotify(caller, bar)));
  bar.append(button(L.inviteInterpreter, () => inviteInterpreter(caller), { "data-interpreter": String(caller.id) }));
  if (isUrgent(caller)) {
    bar.append(button(L.notUrgent, () => markUrgent(caller, ""), { "data-urgent-action": "clear" }));
  } else if (caller.status === "waiting" && URGENT_REASONS.size) {
    const opener = button(L.markUrgent, () => toggleUrgent(caller, bar, opener), {
      "data-urgent-action": "mark",
      "aria-expanded": "false",
      "aria-controls": `urgent-form-${caller.id}`,
    });
    bar.append(opener);
  }
  if (caller.status === "in_call") bar.append(button(L.hold, () => act(caller, "hold")));
  if (data.transferTargets.length) bar.append(transferControl(caller));
  bar.append(
    button(L.end, () => {
      if (confirm(format(L.endConfirm, { name }))) act(caller, "end");
    }, { class: "danger" }),
  );
  for (const b of bar.querySelectorAll("button")) b.setAttribute("aria-describedby", `caller-name-${caller.id}`);
  bar.prepend(el("span", { id: `caller-name-${caller.id}`, class: "visually-hidden" }, name));
  return bar;
}

function toggleNotify(caller, bar) {
  const existing = bar.querySelector("form.notify");
  if (existing) return existing.querySelector("input").focus();
  const form = el("form", { class: "notify inline" });
  const id = `notify-${caller.id}`;
  const input = el("input", { id, type: "text", maxlength: "300", required: "" });
  form.append(el("label", { for: id }, format(L.notifyPrompt, { name: caller.name })), input, el("button", { type: "submit" }, L.send));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (await act(caller, "notify", { text: input.value })) form.remove();
  });
  bar.append(form);
  input.focus();
}

// "Mark urgent" opens a small form: a labelled list of reasons (codes, never free text) and a
// submit; Escape or Cancel closes it and gives the focus back to the button that opened it.
function toggleUrgent(caller, bar, opener) {
  const existing = bar.querySelector("form.urgent-form");
  if (existing) return closeUrgent(existing, opener);
  const form = el("form", { class: "urgent-form inline", id: `urgent-form-${caller.id}` });
  const id = `urgent-reason-${caller.id}`;
  const select = el("select", { id, name: "reason", required: "" });
  for (const [code, label] of URGENT_REASONS) select.append(el("option", { value: code }, label));
  const cancel = button(L.cancel, () => closeUrgent(form, opener));
  form.append(el("label", { for: id }, format(L.urgentReasonFor, { name: caller.name })), select, el("button", { type: "submit" }, L.urgentSubmit), cancel);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    markUrgent(caller, select.value);
  });
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeUrgent(form, opener);
  });
  opener.setAttribute("aria-expanded", "true");
  opener.after(form);
  select.focus();
}

function closeUrgent(form, opener) {
  form.remove();
  opener.setAttribute("aria-expanded", "false");
  opener.focus();
}

// The card comes back re-rendered, at its new place: the focus goes to its other urgency
// button ("Not urgent" after marking, "Mark urgent" after clearing), so the keyboard keeps it.
async function markUrgent(caller, reason) {
  if (await act(caller, "urgent", { reason })) focusWhenShown(caller.id, `[data-urgent-action=${reason ? "clear" : "mark"}]`);
}

let pendingFocus = null; // {id, selector}: a control to focus once its card is rendered
function focusWhenShown(id, selector) {
  pendingFocus = { id, selector };
  focusPending();
}

function focusPending() {
  if (!pendingFocus) return;
  const card = list.querySelector(`li.caller[data-id="${pendingFocus.id}"]`);
  const target = card?.querySelector(pendingFocus.selector);
  if (!card || target) {
    // Focused, or the card is gone (the consultation ended): nothing more to wait for.
    target?.focus();
    pendingFocus = null;
  }
}

function transferControl(caller) {
  const form = el("form", { class: "transfer inline" });
  const id = `transfer-${caller.id}`;
  const select = el("select", { id });
  for (const target of data.transferTargets) select.append(el("option", { value: target.slug }, target.name));
  form.append(el("label", { for: id }, format(L.transferTo, { name: caller.name })), select, el("button", { type: "submit" }, L.transfer));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(caller, "transfer", { clinic: select.value });
  });
  return form;
}

// The link goes to the page's own field, not the card: cards are redrawn as callers change.
async function inviteInterpreter(caller) {
  const field = document.getElementById("interpreter-invite");
  const input = document.getElementById("interpreter-link");
  const answer = await postAction(`${data.callersBase}${caller.id}/invite/`, { interpreter: "1" });
  result.textContent = answer.message || L.failedAction;
  if (!answer.ok) return;
  input.value = answer.url;
  field.hidden = false;
  input.focus();
}

async function act(caller, verb, fields = {}) {
  const answer = await postAction(`${data.callersBase}${caller.id}/${verb}/`, fields);
  result.textContent = answer.message || L.failedAction;
  return answer.ok;
}

// --- The call, on this page ------------------------------------------------------------------

let call = null;

function callTarget(caller) {
  // A caller added to another's call is joined in that call.
  const id = caller.in_call_with ?? caller.id;
  const name = queue.all().find((c) => c.id === id)?.name ?? caller.name;
  return { id, name, socketUrl: `/ws/consultations/${id}/call/`, url: `${data.callersBase}${id}/call/` };
}

// Join answers the caller over the call's own socket (`join_call` with `answer`: one
// message, no page, no HTTP request), with the camera and the socket the pointer's arrival
// on the button started (call-warmup.js), or starting them now.
function join(caller) {
  if (call) return;
  const target = callTarget(caller);
  openCall(target, { warm: warmup.take(target.socketUrl), answer: true });
  history.pushState({ call: target.id }, "", target.url);
}

const warmup = new CallWarmup();
function warmFor(event) {
  const id = Number(event.target.closest?.("button[data-join]")?.dataset.join);
  const caller = id && !call ? queue.all().find((c) => c.id === id) : null;
  if (caller) warmup.warm(callTarget(caller).socketUrl);
}
for (const type of ["pointerover", "focusin", "pointerdown"]) list.addEventListener(type, warmFor);

// The page behind the call (the queue, the header): live, but out of the keyboard's and the
// screen reader's way while the call covers it.
function setBehindCall(inert) {
  setBehind(stage, inert);
}

function openCall(target, { warm = {}, answer = false } = {}) {
  setBehindCall(true);
  call = new ConsultationCall({
    target,
    warm,
    answer,
    labels: L,
    languages: data.languages,
    callLabels: data.callLabels,
    callersBase: data.callersBase,
    stage,
    onClosed: (message) => {
      call = null;
      setBehindCall(false);
      if (location.pathname !== data.dashboardUrl) history.replaceState(null, "", data.dashboardUrl);
      result.textContent = message;
      document.getElementById("main")?.focus();
      render();
    },
  });
  call.showQueue(queue.all());
}

// Back from the call's address: leave the call, as its Leave button would.
window.addEventListener("popstate", () => {
  if (call && location.pathname !== new URL(call.url, location.href).pathname) call.leave();
});

function render() {
  const needle = search.value.trim().toLowerCase();
  const callers = queue.sorted(sort.value === "newest").filter((c) => !needle || c.name.toLowerCase().includes(needle));
  // Keep a card that holds focus or a half-typed message: re-rendering it would lose both.
  const keep = new Map();
  for (const li of list.children) {
    if (li.contains(document.activeElement) || li.querySelector("form.notify, form.urgent-form")) keep.set(Number(li.dataset.id), li);
  }
  const cards = callers.map((c) => {
    const kept = keep.get(c.id);
    const same = kept && kept.dataset.status === c.status && kept.dataset.urgent === (c.urgent ?? "");
    return same ? kept : renderCard(c);
  });
  list.replaceChildren(...cards);
  focusPending();
  call?.showQueue(queue.sorted());
  empty.hidden = callers.length > 0;
  const waiting = queue.all().filter((c) => c.status === "waiting").length;
  document.title = waiting ? `${format(L.titleCount, { n: waiting })} · ${baseTitle}` : baseTitle;
}

function alertNewCaller(caller) {
  beep();
  if ("Notification" in window && Notification.permission === "granted") {
    new Notification(format(L.newCaller, { name: caller.name }), { tag: `caller-${caller.id}` });
  }
}

let audio = null;
function beep() {
  try {
    audio ??= new AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.6);
  } catch {
    // No sound before the first click on the page: browsers forbid it; the title still counts.
  }
}

function onMessage(message) {
  if (message.type === "snapshot") {
    const before = new Set(queue.ids());
    queue.replace(message.callers);
    if (primed) for (const c of message.callers) if (!before.has(c.id) && c.status === "waiting") alertNewCaller(c);
    primed = true;
  } else if (message.type === "caller") {
    const isNew = !queue.has(message.caller.id);
    if (queue.apply(message.caller) && isNew && primed && message.caller.status === "waiting") alertNewCaller(message.caller);
  } else if (message.type === "caller_removed") {
    queue.remove(message.id, message.version);
  } else {
    return;
  }
  render();
}

const socket = new CallSocket(data.socketUrl, {
  onMessage,
  onOpen: () => {
    // Again after every reconnect: a fresh snapshot covers whatever was missed meanwhile.
    socket.send({ type: "subscribe" });
    live.dataset.state = "open";
    live.textContent = L.liveOk;
  },
  onClose: (event, { final }) => {
    if (final) return accessEnded();
    live.dataset.state = "reconnecting";
    live.textContent = L.liveLost;
  },
});

// The server closed the queue for good (logged out, removed from the clinic): what this
// person may no longer see leaves the screen too.
function accessEnded() {
  queue.replace([]);
  render();
  live.dataset.state = "ended";
  live.textContent = L.accessEnded;
}

search.addEventListener("input", render);
sort.addEventListener("change", render);
setInterval(() => {
  for (const p of list.querySelectorAll(".caller-wait")) p.textContent = waitedText(p.dataset.since);
  for (const li of list.querySelectorAll(".caller[data-status=waiting]")) {
    const since = li.querySelector(".caller-wait").dataset.since;
    li.classList.toggle("urgent", Date.now() - Date.parse(since) > URGENT_MS);
  }
}, 15_000);

document.getElementById("enable-notifications").addEventListener("click", async () => {
  beep(); // a click unlocks sound for later alerts
  const permission = "Notification" in window ? await Notification.requestPermission() : "denied";
  result.textContent = permission === "granted" ? L.notificationsOn : L.notificationsDenied;
});

if (data.call) openCall(data.call); // a reload in the call comes back into it

document.getElementById("prefill-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const answer = await postAction(form.action, Object.fromEntries(new FormData(form)));
  result.textContent = answer.message || L.failedAction;
  if (answer.ok) document.getElementById("prefill-result").value = answer.url;
});
