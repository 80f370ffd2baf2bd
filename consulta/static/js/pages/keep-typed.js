// Changing language reloads the page: what the patient had typed into the form comes back.
// It waits in this tab's sessionStorage for the one reload and is read and removed at once:
// it never goes through the server, the address or any other tab.
const KEY = "consulta:typed";
const SKIPPED = new Set(["hidden", "password", "submit", "button", "file"]);

export function typedValues(form) {
  const values = {};
  for (const field of form.elements) {
    if (!field.name || SKIPPED.has(field.type)) continue;
    if (field.type === "checkbox") values[field.name] = field.checked;
    else if (field.type === "radio") {
      if (field.checked) values[field.name] = field.value;
    } else if (field.value) values[field.name] = field.value;
  }
  return values;
}

// Only into empty fields: a page the server filled in (a refused form) keeps its own values.
export function restoreValues(form, values) {
  for (const field of form.elements) {
    if (!field.name || !(field.name in values) || SKIPPED.has(field.type)) continue;
    if (field.type === "checkbox") field.checked = Boolean(values[field.name]);
    else if (field.type === "radio") field.checked = field.value === values[field.name];
    else if (!field.value) field.value = values[field.name];
  }
}

export function keepAcrossLanguageChange(form, picker, storage = globalThis.sessionStorage) {
  const kept = storage.getItem(KEY);
  storage.removeItem(KEY);
  if (kept) restoreValues(form, JSON.parse(kept));
  picker?.addEventListener("submit", () => storage.setItem(KEY, JSON.stringify(typedValues(form))));
}
