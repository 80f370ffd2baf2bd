import { test } from "node:test";
import assert from "node:assert/strict";
import { plural, pluralIndex } from "../../consulta/static/js/call/plural.js";

// The tables as core.languages.plural_table writes them.
const ENGLISH = "1" + "0" + "1".repeat(198);
const arabicForm = (n) => (n === 0 ? 0 : n === 1 ? 1 : n === 2 ? 2 : n % 100 >= 3 && n % 100 <= 10 ? 3 : n % 100 >= 11 ? 4 : 5);
const ARABIC = Array.from({ length: 200 }, (_, n) => arabicForm(n)).join("");
const russianForm = (n) => (n % 10 === 1 && n % 100 !== 11 ? 0 : n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 10 || n % 100 >= 20) ? 1 : 2);
const RUSSIAN = Array.from({ length: 200 }, (_, n) => russianForm(n)).join("");

test("English: one and other", () => {
  const label = ["%(n)s minute", "%(n)s minutes"];
  assert.equal(plural(label, 1, ENGLISH), "%(n)s minute");
  assert.equal(plural(label, 0, ENGLISH), "%(n)s minutes");
  assert.equal(plural(label, 2, ENGLISH), "%(n)s minutes");
  assert.equal(plural(label, 1001, ENGLISH), "%(n)s minutes");
});

test("Arabic's six forms, past 200 by n % 100 as gettext's rule", () => {
  for (const n of [0, 1, 2, 3, 10, 11, 99, 100, 101, 102, 103, 111, 200, 203, 1011, 123456]) {
    assert.equal(pluralIndex(n, ARABIC), arabicForm(n), `n=${n}`);
  }
});

test("Russian's three forms hold for every number up to 10 000", () => {
  for (let n = 0; n <= 10_000; n += 1) assert.equal(pluralIndex(n, RUSSIAN), russianForm(n), `n=${n}`);
});

test("a plain string is a label without plurals; a short list falls back to its last form", () => {
  assert.equal(plural("Guests", 3, ENGLISH), "Guests");
  assert.equal(plural(["only"], 5, ARABIC), "only");
  assert.equal(plural(undefined, 5, ARABIC), "");
});

test("negative, fractional and missing numbers choose like their whole absolute value", () => {
  assert.equal(pluralIndex(-1, ENGLISH), 0);
  assert.equal(pluralIndex(1.7, ENGLISH), 0);
  assert.equal(pluralIndex(undefined, ENGLISH), 1);
  assert.equal(pluralIndex(5, ""), -1);
});
