// The shared whiteboard: a canvas everyone in the call draws on (whiteboard-model.js holds
// the strokes and the protocol). Points stream while someone draws, in small batches; a peer
// whose data channel opens gets the board as it stands. Nothing is kept on the server, and
// nothing outlives the call.

import { MAX_MESSAGE_BYTES } from "./data-protocol.js";
import { button, el, uniqueId } from "./dom.js";
import { APP, ASPECT, COLOURS, LIMITS, newStrokeId, normalise, toPixels, WhiteboardModel, WIDTHS } from "./whiteboard-model.js";

const FLUSH_MS = 40; // points go out about 25 times a second while drawing
const MIN_STEP = 0.002; // of the board's width: closer points add nothing visible
const SYNC_CHARS = MAX_MESSAGE_BYTES - 1024;
const SAVE_URL_MS = 60_000; // the saved image's Blob URL lives that long (the download has begun)

export class Whiteboard {
  #L;
  #transport;
  #allowedFrom;
  #model = new WhiteboardModel();
  #canvas;
  #colour;
  #width;
  #eraser;
  #drawControls;
  #canDraw = false;
  #drawing = null; // {id, pointerId, pending: [], last: [x, y], timer}
  #mine = []; // ids of our own strokes, for undo
  #frame = null;
  #resize;

  // allowedFrom(peerId): whether that peer may change the board now (the apps view-only).
  constructor({ transport, labels, allowedFrom }) {
    const L = (this.#L = labels);
    this.#transport = transport;
    this.#allowedFrom = allowedFrom;
    const headingId = uniqueId("call-board-heading");
    this.root = el("section", {
      class: "call-panel call-panel-wide call-board",
      id: uniqueId("call-board"),
      "aria-labelledby": headingId,
    });

    const tools = el("div", { class: "call-board-tools", role: "group", "aria-label": L.board_tools ?? "" });
    const colourId = uniqueId("call-board-colour");
    this.#colour = el("select", { id: colourId });
    for (const key of Object.keys(COLOURS)) this.#colour.append(el("option", { value: key }, L[`colour_${key}`] ?? ""));
    const widthId = uniqueId("call-board-width");
    this.#width = el("select", { id: widthId });
    for (const [key, value] of Object.entries(WIDTHS)) this.#width.append(el("option", { value: String(value) }, L[`width_${key}`] ?? ""));
    this.#width.value = String(WIDTHS.medium);
    this.#eraser = button(L.board_eraser, () => this.#toggleEraser(), { "aria-pressed": "false", "data-board": "eraser" });
    const undo = button(L.board_undo, () => this.#undo(), { "data-board": "undo" });
    const clear = button(L.board_clear, () => this.#clear(), { "data-board": "clear" });
    const save = button(L.board_save, () => this.#save(), { "data-board": "save" });
    const field = (id, label, control) => {
      const span = el("span", { class: "call-board-field" });
      span.append(el("label", { for: id }, label ?? ""), control);
      return span;
    };
    tools.append(field(colourId, L.board_colour, this.#colour), field(widthId, L.board_width, this.#width));
    tools.append(this.#eraser, undo, clear, save);
    this.#drawControls = [this.#colour, this.#width, this.#eraser, undo, clear];

    const descriptionId = uniqueId("call-board-description");
    // The canvas's own size keeps the board's aspect ratio even before any style applies.
    this.#canvas = el("canvas", {
      class: "call-board-canvas",
      width: "800",
      height: String(Math.round(800 / ASPECT)),
      role: "img",
      "aria-label": L.board_canvas ?? "",
      "aria-describedby": descriptionId,
    });
    // Also in call-apps.css; here too, so that the board works before (or without) it:
    // a finger draws instead of scrolling, and the canvas never grows with its own pixels.
    Object.assign(this.#canvas.style, { touchAction: "none", inlineSize: "100%", blockSize: "auto" });
    this.#canvas.textContent = L.board_description ?? ""; // for browsers without canvas
    const surface = el("div", { class: "call-board-surface" });
    surface.append(this.#canvas);
    const description = el("p", { class: "call-board-description", id: descriptionId }, L.board_description ?? "");
    this.root.append(el("h2", { id: headingId }, L.whiteboard ?? ""), tools, surface, description);

    const canvas = this.#canvas;
    canvas.addEventListener("pointerdown", (event) => this.#down(event));
    canvas.addEventListener("pointermove", (event) => this.#move(event));
    canvas.addEventListener("pointerup", (event) => this.#up(event));
    canvas.addEventListener("pointercancel", (event) => this.#up(event));
    this.#resize = new ResizeObserver(() => this.#render());
    this.#resize.observe(canvas);
    this.setCanDraw(false);
  }

  get snapshot() {
    return {
      ignored: this.#model.ignored,
      strokes: this.#model.strokes.map(({ id, by, tool, color, width, p }) => ({ id, by, tool, color, width, points: p.length / 2 })),
    };
  }

  setCanDraw(canDraw) {
    this.#canDraw = canDraw;
    for (const control of this.#drawControls) control.disabled = !canDraw;
    this.#canvas.dataset.drawing = canDraw ? "on" : "off";
    if (!canDraw) this.#stopDrawing();
  }

  // A message {app: "board", ...} from a peer; refused when the apps are view-only for them.
  receive(peerId, message) {
    if (!this.#allowedFrom(peerId)) {
      this.#model.ignored += 1;
      return;
    }
    if (this.#model.apply(peerId, message)) this.#render();
  }

  // Their channel opened: they get the board as it stands (they drop what they have already).
  sendBoardTo(peerId) {
    if (!this.#model.size) return;
    for (const message of this.#model.syncMessages(SYNC_CHARS)) this.#transport.sendData(message, { to: peerId });
  }

  // The panel was opened: the canvas has a size only now.
  shown() {
    this.#render();
  }

  close() {
    this.#stopDrawing();
    this.#resize.disconnect();
    if (this.#frame !== null) cancelAnimationFrame(this.#frame);
    this.#model = new WhiteboardModel(); // nothing of the board outlives the call
    this.#mine = [];
    this.#draw();
    this.setCanDraw(false);
  }

  // --- Drawing -------------------------------------------------------------------------------

  #point(event) {
    const rect = this.#canvas.getBoundingClientRect();
    if (!rect.width || !rect.height) return null;
    return [normalise((event.clientX - rect.left) / rect.width), normalise((event.clientY - rect.top) / rect.height)];
  }

  #down(event) {
    const self = this.#transport.peerId;
    if (!this.#canDraw || !self || this.#drawing || (event.pointerType === "mouse" && event.button !== 0)) return;
    const point = this.#point(event);
    if (!point) return;
    event.preventDefault();
    this.#canvas.setPointerCapture?.(event.pointerId);
    this.#begin(point, event.pointerId);
  }

  #begin(point, pointerId) {
    const eraser = this.#eraser.getAttribute("aria-pressed") === "true";
    const id = newStrokeId();
    const message = {
      app: APP,
      t: "stroke",
      id,
      tool: eraser ? "eraser" : "pen",
      color: eraser ? null : this.#colour.value,
      width: Number(this.#width.value),
      p: point,
    };
    if (!this.#model.apply(this.#transport.peerId, message)) return; // the board is full
    this.#transport.sendData(message);
    this.#mine.push(id);
    this.#drawing = { id, pointerId, pending: [], last: point, count: 1, timer: null };
    this.#render();
  }

  #move(event) {
    let drawing = this.#drawing;
    if (!drawing || event.pointerId !== drawing.pointerId) return;
    const events = event.getCoalescedEvents?.() ?? [];
    for (const one of events.length ? events : [event]) {
      const point = this.#point(one);
      if (!point || Math.hypot(point[0] - drawing.last[0], point[1] - drawing.last[1]) < MIN_STEP) continue;
      if (drawing.count + 1 >= LIMITS.pointsPerStroke) {
        // A very long stroke goes on as a new one, from where it was.
        this.#flush();
        this.#drawing = null;
        this.#begin(drawing.last, drawing.pointerId);
        drawing = this.#drawing;
        if (!drawing) return; // the board is full
      }
      if (!this.#model.apply(this.#transport.peerId, { app: APP, t: "points", id: drawing.id, p: point })) break;
      drawing.pending.push(...point);
      drawing.last = point;
      drawing.count += 1;
    }
    if (drawing.pending.length && drawing.timer === null) drawing.timer = setTimeout(() => this.#flush(), FLUSH_MS);
    this.#render();
  }

  #up(event) {
    if (!this.#drawing || event.pointerId !== this.#drawing.pointerId) return;
    this.#stopDrawing();
  }

  #stopDrawing() {
    if (!this.#drawing) return;
    this.#flush();
    this.#drawing = null;
  }

  #flush() {
    const drawing = this.#drawing;
    if (!drawing) return;
    clearTimeout(drawing.timer);
    drawing.timer = null;
    if (!drawing.pending.length) return;
    this.#transport.sendData({ app: APP, t: "points", id: drawing.id, p: drawing.pending });
    drawing.pending = [];
  }

  #toggleEraser() {
    const on = this.#eraser.getAttribute("aria-pressed") !== "true";
    this.#eraser.setAttribute("aria-pressed", String(on));
  }

  #undo() {
    if (!this.#canDraw) return;
    this.#stopDrawing();
    while (this.#mine.length) {
      const id = this.#mine.pop();
      if (!this.#model.has(id)) continue; // cleared meanwhile
      const message = { app: APP, t: "undo", id };
      this.#model.apply(this.#transport.peerId, message);
      this.#transport.sendData(message);
      this.#render();
      return;
    }
  }

  #clear() {
    if (!this.#canDraw || !confirm(this.#L.board_clear_confirm)) return;
    this.#stopDrawing();
    const message = { app: APP, t: "clear" };
    this.#model.apply(this.#transport.peerId, message);
    this.#transport.sendData(message);
    this.#mine = [];
    this.#render();
  }

  // The board on white (the canvas itself is transparent: the eraser makes holes), as a PNG.
  #save() {
    const board = this.#canvas;
    const copy = document.createElement("canvas");
    copy.width = board.width;
    copy.height = board.height;
    const ctx = copy.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, copy.width, copy.height);
    ctx.drawImage(board, 0, 0);
    copy.toBlob((blob) => {
      if (!blob) return;
      const url = URL.createObjectURL(blob);
      const link = el("a", { href: url, download: this.#L.board_file_name || "whiteboard.png", hidden: "" });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), SAVE_URL_MS);
    }, "image/png");
  }

  // --- Showing -------------------------------------------------------------------------------

  // At most once a frame, whatever arrived meanwhile.
  #render() {
    if (this.#frame !== null) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = null;
      this.#draw();
    });
  }

  #draw() {
    const canvas = this.#canvas;
    const shown = canvas.clientWidth;
    if (!shown) return; // a closed panel: drawn when it opens
    const width = Math.round(shown * (window.devicePixelRatio || 1));
    const height = Math.round(width / ASPECT);
    if (canvas.width !== width || canvas.height !== height) Object.assign(canvas, { width, height });
    const ctx = canvas.getContext("2d");
    ctx.globalCompositeOperation = "source-over";
    ctx.clearRect(0, 0, width, height);
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    for (const stroke of this.#model.strokes) {
      const { xy, lineWidth } = toPixels(stroke, width, height);
      ctx.globalCompositeOperation = stroke.tool === "eraser" ? "destination-out" : "source-over";
      ctx.strokeStyle = ctx.fillStyle = COLOURS[stroke.color] ?? "#000";
      ctx.lineWidth = lineWidth;
      if (xy.length === 1) {
        ctx.beginPath();
        ctx.arc(xy[0][0], xy[0][1], lineWidth / 2, 0, 2 * Math.PI);
        ctx.fill();
        continue;
      }
      ctx.beginPath();
      ctx.moveTo(...xy[0]);
      for (const point of xy.slice(1)) ctx.lineTo(...point);
      ctx.stroke();
    }
    ctx.globalCompositeOperation = "source-over";
  }
}
