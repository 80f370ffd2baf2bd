// One's own picture as a picture-in-picture (a call of two): it sits in a corner of the stage
// and can be moved: dragged with a pointer (it snaps to the nearest corner when let go), or
// by keyboard with its "Move my picture" button (each press: the next corner; arrow keys on
// it: that side). The corner is remembered in this browser.

import { cornerForKey, CORNERS, DEFAULT_CORNER, nearestCorner, nextCorner } from "./stage.js";

const STORAGE_KEY = "consulta.call.pipCorner";
const DRAG_THRESHOLD_PX = 6; // below this a press is a click, not a drag

function stored() {
  try {
    const corner = window.localStorage.getItem(STORAGE_KEY);
    return CORNERS.includes(corner) ? corner : DEFAULT_CORNER;
  } catch {
    return DEFAULT_CORNER; // storage refused (a private window, a policy)
  }
}

function store(corner) {
  try {
    window.localStorage.setItem(STORAGE_KEY, corner);
  } catch {
    // Not remembered, still moved.
  }
}

export class PictureInPicture {
  #root;
  #bounds;
  #enabled = false;
  #drag = null;
  #listeners = [];

  // root: the tile that floats; bounds: the element it floats in; button: "Move my picture".
  constructor({ root, bounds, button }) {
    this.#root = root;
    this.#bounds = bounds;
    this.corner = stored();
    this.#on(root, "pointerdown", (event) => this.#down(event));
    this.#on(root, "pointermove", (event) => this.#move(event));
    this.#on(root, "pointerup", (event) => this.#up(event));
    this.#on(root, "pointercancel", () => this.#cancel());
    if (button) {
      this.#on(button, "click", () => this.setCorner(nextCorner(this.corner)));
      this.#on(button, "keydown", (event) => {
        const corner = cornerForKey(this.corner, event.key, { rtl: this.#rtl() });
        if (!corner) return;
        event.preventDefault();
        this.setCorner(corner);
      });
    }
  }

  // Only while the tile is the picture-in-picture.
  setEnabled(enabled) {
    this.#enabled = enabled;
    if (!enabled) this.#cancel();
    this.#root.dataset.corner = this.corner;
  }

  setCorner(corner) {
    this.corner = CORNERS.includes(corner) ? corner : DEFAULT_CORNER;
    this.#root.dataset.corner = this.corner;
    store(this.corner);
  }

  destroy() {
    this.#cancel();
    for (const [target, type, handler] of this.#listeners) target.removeEventListener(type, handler);
    this.#listeners = [];
  }

  #on(target, type, handler) {
    target.addEventListener(type, handler);
    this.#listeners.push([target, type, handler]);
  }

  #rtl() {
    return getComputedStyle(this.#bounds).direction === "rtl";
  }

  #down(event) {
    if (!this.#enabled || event.button !== 0 || !event.isPrimary) return;
    // A press on the move button stays a click on it.
    if (event.target instanceof Element && event.target.closest("button")) return;
    this.#drag = { id: event.pointerId, x: event.clientX, y: event.clientY, moving: false };
    // Every move goes to the picture, even once the pointer has left it.
    this.#root.setPointerCapture?.(event.pointerId);
  }

  #move(event) {
    const drag = this.#drag;
    if (!drag || event.pointerId !== drag.id) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moving) {
      if (Math.hypot(dx, dy) < DRAG_THRESHOLD_PX) return;
      drag.moving = true;
      this.#root.dataset.dragging = "";
    }
    event.preventDefault();
    this.#root.style.setProperty("translate", `${dx}px ${dy}px`);
  }

  #up(event) {
    const drag = this.#drag;
    if (!drag || event.pointerId !== drag.id) return;
    if (drag.moving) {
      const box = this.#root.getBoundingClientRect();
      const area = this.#bounds.getBoundingClientRect();
      const x = box.left + box.width / 2 - area.left;
      const y = box.top + box.height / 2 - area.top;
      this.setCorner(nearestCorner(x, y, area.width, area.height, { rtl: this.#rtl() }));
    }
    this.#cancel();
  }

  #cancel() {
    const id = this.#drag?.id;
    if (id !== undefined && this.#root.hasPointerCapture?.(id)) this.#root.releasePointerCapture(id);
    this.#drag = null;
    this.#root.style.removeProperty("translate");
    delete this.#root.dataset.dragging;
  }
}
