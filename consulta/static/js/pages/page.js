// Small helpers every page script shares.

// "%(name)s" placeholders, as in the server's translated labels.
export function format(template, values) {
  return String(template ?? "").replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));
}

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

export function pageData() {
  return JSON.parse(document.getElementById("page-data").textContent);
}
