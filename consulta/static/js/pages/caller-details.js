// A caller's details as the clinic's team reads them, on the card and in the call's panel.
import { el } from "./page.js";

// The patient's language in its own name, isolated (a right-to-left name does not reorder
// the text around it), then named in the page's language. `languages`: code → [own, page's].
export function languageRow(caller, L, languages = {}) {
  const [own, translated] = languages[caller.language] ?? [caller.language, caller.language];
  const value = el("dd", { class: "caller-language" });
  value.append(el("bdi", { lang: caller.language }, own));
  if (translated !== own) value.append(` (${translated})`);
  return [el("dt", {}, L.patientLanguage), value];
}
