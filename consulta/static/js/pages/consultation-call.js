// A team member's call with a caller, held on the dashboard page: the call fills the screen
// over the waiting area (which stays live behind it), the caller's details and the actions
// on them are one panel of the call, the other waiting callers another, to add one to it.
import { Call } from "../call/call.js";
import { button, disclosure, el, format, uniqueId } from "../call/dom.js";
import { startMedia } from "./call-warmup.js";
import { languageRow } from "./caller-details.js";
import { postAction } from "./page.js";

export class ConsultationCall {
  #L;
  #languages;
  #callLabels;
  #target;
  #callersBase;
  #stage;
  #onClosed;
  #call;
  #details;
  #waiting;
  #waitingCount;
  #status;
  #closed = false;
  #socket;
  #acting = false; // a hold or end is being posted
  #endedFor = null; // what to say should the call end meanwhile

  // target: {id, name, socketUrl, url}; onClosed(message): back to the queue, saying why.
  // `warm`: {socket, media} the dashboard started before the click (call-warmup.js), either
  // null; `answer`: the first join answers the caller (the dashboard's Join, over the socket).
  // The camera and the call start together: the socket opens and joins while the camera is
  // still starting, so that the connection to the caller is negotiated meanwhile; the tracks
  // follow when they come, and the call stops them when it ends (Call's localStream).
  constructor({ target, labels, callLabels, callersBase, stage, onClosed, warm = {}, answer = false, languages = {} }) {
    this.#L = labels;
    this.#languages = languages;
    this.#callLabels = callLabels;
    this.#target = target;
    this.#callersBase = callersBase;
    this.#stage = stage;
    this.#onClosed = onClosed;
    const container = el("div", { id: "call-view", tabindex: "-1" });
    stage.querySelector("#call-view").replaceWith(container);
    stage.querySelector("#call-heading").textContent = format(labels.callWith, { name: target.name });
    stage.hidden = false;
    this.#socket = warm.socket ?? null; // lent to the call, closed here when it ends
    this.#call = new Call({
      socketUrl: target.socketUrl,
      socket: this.#socket,
      firstJoin: answer ? { answer: true } : {},
      labels: callLabels,
      container,
      localStream: warm.media ?? startMedia(),
      canManage: true, // every team member is an account holder: the call manager is theirs
      holdRoles: ["patient"], // a caller in this call goes on hold through `manage`
      onEnded: ({ reason }) => this.#ended(reason),
      onError: (code, text, { fatal }) => {
        if (fatal) this.#close(text);
        else this.#say(text);
      },
    });
    this.#addPanels();
    container.focus({ preventScroll: true });
  }

  get id() {
    return this.#target.id;
  }

  get url() {
    return this.#target.url;
  }

  // The queue changed: the caller's details, and who else is waiting.
  showQueue(callers) {
    const me = callers.find((c) => c.id === this.#target.id);
    if (me) this.#showDetails(me);
    const waiting = callers.filter((c) => c.id !== this.#target.id && c.status !== "in_call");
    this.#waitingCount.textContent = waiting.length ? ` (${waiting.length})` : "";
    this.#waiting.replaceChildren(...(waiting.length ? waiting.map((c) => this.#waitingRow(c)) : [this.#nobody()]));
  }

  leave() {
    this.#call.leave();
  }

  // --- The panels ----------------------------------------------------------------------------

  #addPanels() {
    const L = this.#L;
    const view = this.#call.view;
    const consultation = this.#panel("consultation", L.consultation, L.consultationPanel, this.#consultationPanel());
    const waitingPanel = el("section", { class: "call-panel call-waiting", id: uniqueId("call-waiting") });
    waitingPanel.setAttribute("aria-label", L.waitingCallers);
    this.#waiting = el("ul", { class: "plain call-waiting-list", "aria-live": "polite" });
    waitingPanel.append(el("h2", {}, L.addWaiting), this.#waiting);
    const waiting = disclosure(L.waitingCallers, waitingPanel);
    waiting.toggle.dataset.action = "waiting";
    this.#waitingCount = el("span", { class: "call-waiting-count" });
    waiting.toggle.append(this.#waitingCount);
    for (const { toggle, panel } of [consultation, { toggle: waiting.toggle, panel: waitingPanel }]) {
      view.addControl(toggle);
      view.addPanel(panel);
    }
    this.showQueue([]);
  }

  #panel(action, label, name, panel) {
    panel.setAttribute("aria-label", name);
    const { toggle } = disclosure(label, panel);
    toggle.dataset.action = action;
    return { toggle, panel };
  }

  #consultationPanel() {
    const L = this.#L;
    const panel = el("section", { class: "call-panel call-consultation", id: uniqueId("call-consultation") });
    this.#status = el("p", { class: "call-consultation-status", role: "status", "aria-live": "polite" });
    const name = el("h2", { class: "call-consultation-name" }, this.#target.name);
    this.#details = el("dl", { class: "caller-details" });
    const actions = el("div", { class: "call-consultation-actions" });
    actions.append(
      button(L.hold, () => this.#act("hold"), { "data-consultation-action": "hold" }),
      button(L.end, () => this.#end(), { class: "danger", "data-consultation-action": "end" }),
    );
    panel.append(name, this.#status, this.#details, this.#messageForm(), actions, ...this.#invite());
    return panel;
  }

  #messageForm() {
    const L = this.#L;
    const form = el("form", { class: "stacked call-message-form", novalidate: "" });
    const id = uniqueId("call-message");
    const input = el("input", { id, name: "text", type: "text", maxlength: "300", required: "", autocomplete: "off" });
    const field = el("div", { class: "field" });
    field.append(el("label", { for: id }, L.messagePatient), input);
    form.append(field, el("button", { type: "submit" }, L.notify));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const answer = await postAction(this.#actionUrl("notify"), { text: input.value });
      this.#say(answer.message || L.failedAction);
      if (answer.ok) form.reset(); // a refused message stays, to be corrected
    });
    return form;
  }

  #invite() {
    const L = this.#L;
    const id = uniqueId("call-invite");
    const result = el("input", { id, class: "copy-field", type: "text", readonly: "" });
    result.addEventListener("focus", () => result.select());
    const field = el("div", { class: "field", hidden: "" });
    field.append(el("label", { for: id }, L.inviteLink), result);
    // One link for a relative (or anyone), one that notes the patient's language for an interpreter.
    const make = (label, fields) =>
      button(label, async () => {
        const answer = await postAction(this.#actionUrl("invite"), fields);
        this.#say(answer.message || L.failedAction);
        if (!answer.ok) return;
        result.value = answer.url;
        field.hidden = false;
        result.focus();
      });
    const buttons = el("div", { class: "call-invite-actions" });
    buttons.append(make(L.makeInvite, {}), make(L.inviteInterpreter, { interpreter: "1" }));
    return [el("h3", {}, L.inviteHeading), el("p", { class: "help" }, L.inviteHelp), buttons, field];
  }

  #showDetails(caller) {
    const L = this.#L;
    const rows = [[L.phone, caller.phone], ...caller.answers];
    this.#details.replaceChildren(
      ...languageRow(caller, L, this.#languages),
      ...rows.flatMap(([label, value]) => [el("dt", {}, label), el("dd", {}, value || "—")]),
    );
  }

  #waitingRow(caller) {
    const L = this.#L;
    const li = el("li", { class: "call-waiting-row", "data-id": String(caller.id) });
    const add = button(L.addToCall, async () => {
      const answer = await postAction(`${this.#callersBase}${caller.id}/add-to/${this.#target.id}/`);
      this.#say(answer.message || L.failedAction);
    });
    add.setAttribute("aria-label", `${L.addToCall}: ${caller.name}`);
    li.append(el("span", { class: "call-waiting-name" }, caller.name), add);
    return li;
  }

  #nobody() {
    return el("li", { class: "muted" }, this.#L.noCallers);
  }

  // --- The actions ---------------------------------------------------------------------------

  #actionUrl(verb) {
    return `${this.#callersBase}${this.#target.id}/${verb}/`;
  }

  // Hold or end: the call ends with it (the server's call_ended may come first: the
  // action's own answer is what the queue then says).
  async #act(verb) {
    this.#acting = true;
    const answer = await postAction(this.#actionUrl(verb));
    this.#acting = false;
    if (answer.ok) {
      this.#call.leave();
      return this.#close(answer.message);
    }
    if (this.#endedFor !== null) return this.#close(this.#endedFor);
    this.#say(answer.message || this.#L.failedAction);
  }

  #end() {
    if (confirm(format(this.#L.endConfirm, { name: this.#target.name }))) this.#act("end");
  }

  #say(text) {
    this.#status.textContent = text ?? "";
    this.#call.view.notify(text);
  }

  // Why the call ended → what the waiting area then says. The fatal error frames (call full,
  // consultation gone) say it themselves, through onError.
  #ended(reason) {
    const said = {
      call_ended: this.#L.consultationEnded,
      left: "",
      removed: this.#callLabels.removed,
      closed: this.#callLabels.error,
    };
    if (!(reason in said)) return;
    if (this.#acting) this.#endedFor = said[reason];
    else this.#close(said[reason]);
  }

  #close(message) {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket?.close();
    this.#call.view.destroy();
    this.#stage.hidden = true;
    this.#onClosed(message ?? "");
  }
}
