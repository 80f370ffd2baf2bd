import { test } from "node:test";
import assert from "node:assert/strict";
import { keepAcrossLanguageChange, restoreValues, typedValues } from "../../consulta/static/js/pages/keep-typed.js";

function field(name, type = "text", value = "", checked = false) {
  return { name, type, value, checked };
}

function memoryStorage() {
  const items = new Map();
  return {
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => items.set(key, String(value)),
    removeItem: (key) => items.delete(key),
    size: () => items.size,
  };
}

function fakePicker() {
  const listeners = [];
  return { addEventListener: (_type, listener) => listeners.push(listener), submit: () => listeners.forEach((l) => l()) };
}

test("what was typed is kept; tokens, passwords and empty fields are not", () => {
  const form = {
    elements: [
      field("csrfmiddlewaretoken", "hidden", "secret"),
      field("first_name", "text", "Layla"),
      field("last_name", "text", ""),
      field("phone", "tel", "070-123 45 67"),
      field("accept_terms", "checkbox", "on", true),
      field("extra_7", "radio", "Rash", false),
      field("extra_7", "radio", "Fever", true),
      field("secret", "password", "hunter2"),
    ],
  };
  assert.deepEqual(typedValues(form), { first_name: "Layla", phone: "070-123 45 67", accept_terms: true, extra_7: "Fever" });
});

test("restored into empty fields only: a form the server filled in keeps its own", () => {
  const form = { elements: [field("first_name", "text", ""), field("last_name", "text", "Server"), field("t", "checkbox")] };
  restoreValues(form, { first_name: "Layla", last_name: "Typed", t: true });
  assert.equal(form.elements[0].value, "Layla");
  assert.equal(form.elements[1].value, "Server");
  assert.equal(form.elements[2].checked, true);
});

test("kept for one reload only, then gone from the storage", () => {
  const storage = memoryStorage();
  const before = { elements: [field("first_name", "text", "Layla")] };
  const picker = fakePicker();
  keepAcrossLanguageChange(before, picker, storage);
  picker.submit();
  assert.equal(storage.size(), 1);
  const after = { elements: [field("first_name", "text", "")] };
  keepAcrossLanguageChange(after, fakePicker(), storage);
  assert.equal(after.elements[0].value, "Layla");
  assert.equal(storage.size(), 0);
  const again = { elements: [field("first_name", "text", "")] };
  keepAcrossLanguageChange(again, fakePicker(), storage);
  assert.equal(again.elements[0].value, "");
});
