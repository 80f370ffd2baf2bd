// Small helpers every page script shares.

// One set of DOM helpers for the page scripts and the call (call/dom.js).
export { button, el, format, plural } from "../call/dom.js";

function csrfToken() {
  return document.querySelector("input[name=csrfmiddlewaretoken]")?.value ?? "";
}

// POST a form-encoded action; always resolves to {ok, message, url?}, never throws.
export async function postAction(url, fields = {}) {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: new URLSearchParams(fields),
      credentials: "same-origin",
    });
    const answer = await response.json().catch(() => ({}));
    return { ok: response.ok && answer.ok !== false, ...answer };
  } catch {
    return { ok: false };
  }
}

// The page behind a call that covers it (call.css): live, but out of the keyboard's and the
// screen reader's way. Everything beside the path from <body> down to `container` turns
// inert (inert: false undoes it), except `keep`: elements on that path's levels that must stay
// live over the call (a patient's messages from the clinic).
export function setBehind(container, inert, { keep = [] } = {}) {
  document.body.classList.toggle("in-call", inert);
  for (let node = container; node !== document.body && node.parentElement; node = node.parentElement) {
    for (const sibling of node.parentElement.children) {
      if (sibling !== node && sibling.tagName !== "SCRIPT" && !keep.includes(sibling)) sibling.inert = inert;
    }
  }
}

export function pageData() {
  return JSON.parse(document.getElementById("page-data").textContent);
}
