// Labels with plurals, from the server (core.languages.plural_label): one text per plural
// form of the page's language, and the page's table of which form each number takes
// (<html data-plurals>, core.languages.plural_table): exactly gettext's choice, Arabic's six
// forms and Slavic languages' three included. A plain string is a label without plurals.

export function pluralIndex(n, table) {
  const count = Math.abs(Math.trunc(Number(n) || 0));
  const digit = table[count < 200 ? count : 100 + (count % 100)];
  return digit === undefined ? -1 : Number(digit);
}

export function plural(label, n, table = globalThis.document?.documentElement.dataset.plurals ?? "") {
  if (!Array.isArray(label)) return label ?? "";
  return label[pluralIndex(n, table)] ?? label[label.length - 1];
}
