"""The translation catalogues: what a complete, sound one is, and the tools
that fill them (`manage.py catalogue`). The catalogue test runs `problems`
on every language, so a missing, stale or broken message fails `make test`.

polib is a development dependency: only this module, its command and the
tests import it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import polib

from consulta.core.languages import BY_CODE, TRANSLATED, Language, nplurals, plural_examples

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAINS = ("django", "djangojs")

# %(name)s, %s, %d and %%: Python's formatting, as gettext's python-format.
PYTHON_FORMAT = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[sdfi]|%[sdfi]|%%")
TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*")
NUMBER_WORD = re.compile(r"\b\d+\b")


def catalogue_path(language: Language, domain: str = "django") -> Path:
    return LOCALE_DIR / language.locale / "LC_MESSAGES" / f"{domain}.po"


def catalogues(domain: str = "django") -> Iterator[tuple[Language, polib.POFile]]:
    for language in TRANSLATED:
        path = catalogue_path(language, domain)
        if path.exists():
            yield language, polib.pofile(str(path))


def placeholders(text: str) -> Counter[str]:
    return Counter(PYTHON_FORMAT.findall(text))


def tags(text: str) -> Counter[str]:
    return Counter(TAG.findall(text))


def entry_problems(entry: polib.POEntry, language: Language) -> list[str]:
    """What is wrong with one message, in words a translator can act on."""
    if entry.obsolete:
        return []
    if "fuzzy" in entry.flags:
        return ["fuzzy (the English changed since it was translated)"]
    if entry.msgid_plural:
        return plural_problems(entry, language)
    if not entry.msgstr.strip():
        return ["untranslated"]
    return compare(entry.msgid, entry.msgstr, exact=True)


def plural_problems(entry: polib.POEntry, language: Language) -> list[str]:
    forms = nplurals(language)
    texts = [entry.msgstr_plural.get(index, "") for index in range(forms)]
    if len(entry.msgstr_plural) != forms:
        return [f"has {len(entry.msgstr_plural)} plural forms, the language has {forms}"]
    if not all(text.strip() for text in texts):
        return ["untranslated (a plural form is empty)"]
    found = []
    allowed = set(placeholders(entry.msgid_plural) | placeholders(entry.msgid))
    for text, numbers in zip(texts, plural_examples(language.code), strict=True):
        got = set(placeholders(text))
        if got - allowed:
            found.append(f"unknown placeholder {sorted(got - allowed)}")
        missing = set(placeholders(entry.msgid_plural)) - got
        # A form for one number alone ("one person") may leave out the count,
        # if it is named: %d and %s must all be there for Python's %.
        single = len(numbers) == 1 and len(missing) == 1 and next(iter(missing)).startswith("%(")
        if missing and not single:
            found.append(f"a plural form leaves out {sorted(missing)}")
    found += compare(entry.msgid_plural, texts[-1], exact=False)
    return found


def compare(english: str, translated: str, *, exact: bool) -> list[str]:
    found = []
    want, got = placeholders(english), placeholders(translated)
    if (want != got) if exact else (set(want) - set(got)):
        found.append(f"placeholders differ: {sorted(want.elements())} vs {sorted(got.elements())}")
    positional = [p for p in PYTHON_FORMAT.findall(english) if not p.startswith("%(")]
    if len([p for p in positional if p != "%%"]) > 1:
        found.append("more than one positional placeholder: use named ones")
    if tags(english) != tags(translated):
        found.append("HTML tags differ")
    return found


def problems(language: Language, catalogue: polib.POFile) -> list[str]:
    """Every problem of one catalogue, as "msgid: problem" lines."""
    found = header_problems(language, catalogue)
    for entry in catalogue:
        for problem in entry_problems(entry, language):
            found.append(f"{entry.msgid[:60]!r}: {problem}")
    return found


def header_problems(language: Language, catalogue: polib.POFile) -> list[str]:
    found = ["the header is marked fuzzy"] if catalogue.metadata_is_fuzzy else []
    if catalogue.metadata.get("Plural-Forms", "").strip() != language.plural_forms:
        found.append(f"Plural-Forms header is not {language.plural_forms!r}")
    if catalogue.metadata.get("Language") != language.locale:
        found.append(f"Language header is not {language.locale!r}")
    return found


def set_headers(language: Language, catalogue: polib.POFile) -> None:
    catalogue.metadata["Plural-Forms"] = language.plural_forms
    catalogue.metadata["Language"] = language.locale
    catalogue.metadata["Language-Team"] = f"{language.english} ({language.name})"
    catalogue.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    catalogue.metadata["Project-Id-Version"] = "Consulta"
    catalogue.metadata_is_fuzzy = False  # msgfmt drops a fuzzy header, plural rule and all
    catalogue.header = f"{language.english} translation of Consulta: see docs/languages.md."


# -- The tools of `manage.py catalogue` ------------------------------------


def todo(language: Language, domain: str) -> list[dict[str, object]]:
    """Messages still to translate, numbered for a fill file."""
    catalogue = polib.pofile(str(catalogue_path(language, domain)))
    items: list[dict[str, object]] = []
    for number, entry in enumerate(catalogue, start=1):
        if entry.obsolete or not entry_problems(entry, language):
            continue
        item: dict[str, object] = {"n": number, "id": entry.msgid}
        if entry.msgid_plural:
            item["plural"] = entry.msgid_plural
        if entry.msgctxt:
            item["context"] = entry.msgctxt
        if entry.comment:
            item["note"] = entry.comment
        items.append(item)
    return items


def fill(
    language: Language,
    domain: str,
    source: list[dict[str, object]],
    answers: dict[str, object],
    *,
    write: bool = True,
) -> list[str]:
    """Write a fill file's translations ({"n": text or [forms]}, n from a
    `todo` list, `source`) into the catalogue. Returns the problems of those
    it refused; the rest are written. Messages are found by their English,
    so a catalogue regenerated since the list was made still takes them."""
    path = catalogue_path(language, domain)
    catalogue = polib.pofile(str(path))
    by_key = {(entry.msgctxt, entry.msgid, entry.msgid_plural): entry for entry in catalogue if not entry.obsolete}
    items = {str(item["n"]): item for item in source}
    refused = []
    for key, answer in answers.items():
        item = items.get(str(key))
        if item is None:
            refused.append(f"{key}: no such number in the list")
            continue
        candidate = answered(item, answer)
        found = entry_problems(candidate, language)
        # A message the code no longer has is skipped: its translation is not wrong, only unused.
        entry = by_key.get((candidate.msgctxt, candidate.msgid, candidate.msgid_plural))
        if found:
            refused.append(f"{key} {candidate.msgid[:50]!r}: {'; '.join(found)}")
        elif entry is not None:
            translate(entry, candidate.msgstr, candidate.msgstr_plural)
    if write:
        set_headers(language, catalogue)
        catalogue.save(str(path))
    return refused


def translate(entry: polib.POEntry, msgstr: str, msgstr_plural: dict[int, str]) -> None:
    """A checked translation in: no longer fuzzy, and the English it was made for forgotten."""
    entry.msgstr, entry.msgstr_plural = msgstr, msgstr_plural
    entry.flags = [flag for flag in entry.flags if flag != "fuzzy"]
    entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None


def answered(item: dict[str, object], answer: object) -> polib.POEntry:
    entry = polib.POEntry(
        msgid=str(item["id"]),
        msgid_plural=str(item.get("plural", "")),
        msgctxt=item.get("context") or None,
    )
    if entry.msgid_plural:
        texts = answer if isinstance(answer, list) else [answer]
        entry.msgstr_plural = {index: str(text) for index, text in enumerate(texts)}
    else:
        entry.msgstr = str(answer)
    return entry


SERBIAN_LATIN = dict(
    zip(
        "АБВГДЂЕЖЗИЈКЛМНОПРСТЋУФХЦЧШабвгдђежзијклмнопрстћуфхцчш",
        "ABVGDĐEŽZIJKLMNOPRSTĆUFHCČŠabvgdđežzijklmnoprstćufhcčš",
        strict=True,
    )
)
SERBIAN_DIGRAPHS = {"Љ": "Lj", "Њ": "Nj", "Џ": "Dž", "љ": "lj", "њ": "nj", "џ": "dž"}


def serbian_latin(text: str) -> str:
    """Serbian Cyrillic to Latin: one to one (Љ, Њ and Џ become digraphs,
    upper case when the next letter is)."""
    out = []
    for index, char in enumerate(text):
        if char in SERBIAN_DIGRAPHS:
            latin = SERBIAN_DIGRAPHS[char]
            following = text[index + 1 : index + 2]
            out.append(latin.upper() if char.isupper() and following.isupper() else latin)
        else:
            out.append(SERBIAN_LATIN.get(char, char))
    return "".join(out)


def transliterate_serbian(domain: str) -> int:
    """Fill sr-latn from sr, message by message; returns how many."""
    source = {(e.msgctxt, e.msgid): e for e in polib.pofile(str(catalogue_path(BY_CODE["sr"], domain)))}
    path = catalogue_path(BY_CODE["sr-latn"], domain)
    catalogue = polib.pofile(str(path))
    done = 0
    for entry in catalogue:
        cyrillic = source.get((entry.msgctxt, entry.msgid))
        if cyrillic is None or entry_problems(cyrillic, BY_CODE["sr"]):
            continue
        plural = {k: serbian_latin(v) for k, v in cyrillic.msgstr_plural.items()}
        translate(entry, serbian_latin(cyrillic.msgstr), plural)
        done += 1
    set_headers(BY_CODE["sr-latn"], catalogue)
    catalogue.save(str(path))
    return done


def dump(items: list[dict[str, object]]) -> str:
    return json.dumps(items, ensure_ascii=False, indent=1)
