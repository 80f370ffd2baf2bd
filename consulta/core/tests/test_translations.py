"""The Swedish catalogue is complete, fresh and compiled, and pages follow the language's direction.

After changing a user-facing string, run `make messages`, translate what it
added to consulta/locale/sv/LC_MESSAGES/django.po, run `make messages` again
and commit the .po with its .mo.
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

PACKAGE_DIR = Path(__file__).resolve().parents[2]
SV_DIR = PACKAGE_DIR / "locale" / "sv" / "LC_MESSAGES"
PO_FILE = SV_DIR / "django.po"
MO_FILE = SV_DIR / "django.mo"
CSS_DIR = PACKAGE_DIR / "static" / "css"

# The same runs as the Makefile's `messages` target.
_COMMON = ["--locale", "sv", "--no-location", "--no-obsolete"]
MAKEMESSAGES_RUNS = {
    "django": _COMMON,
    "djangojs": [*_COMMON, "--domain", "djangojs", "--ignore", "static/vendor/*"],
}

HOW_TO_FIX = "Run `make messages`, translate the new entries in the .po, run `make messages` again, commit both files."


# --- A tiny .po reader -----------------------------------------------------------------


@dataclass
class Entry:
    fields: dict[str, str] = field(default_factory=dict)  # msgctxt, msgid, msgid_plural, msgstr[0], msgstr[1]…
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def msgid(self) -> str:
        return self.fields.get("msgid", "")

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return self.fields.get("msgctxt"), self.msgid, self.fields.get("msgid_plural")

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and "msgctxt" not in self.fields

    @property
    def translations(self) -> dict[int, str]:
        return {int(name[7:-1]): text for name, text in self.fields.items() if name.startswith("msgstr[")}

    def describe(self) -> str:
        context = self.fields.get("msgctxt")
        return f"{self.msgid!r}" + (f" (context {context!r})" if context is not None else "")


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$')


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file as gettext's tools write it; obsolete (#~) entries are kept, marked."""
    entries: list[Entry] = []
    current: Entry | None = None
    last: str | None = None  # the field a continuation line extends
    pending_flags: set[str] = set()
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if line.startswith("|"):
                continue
        elif line.startswith("#,"):
            pending_flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if not line or line.startswith("#"):
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, token = match.groups()
            if keyword in ("msgctxt", "msgid") and (current is None or current.translations):
                current = Entry(flags=pending_flags, obsolete=obsolete)
                entries.append(current)
                pending_flags = set()
            assert current is not None, f"{path}:{number}: {keyword} before msgid"
            last = "msgstr[0]" if keyword == "msgstr" else keyword
            current.fields[last] = ast.literal_eval(token)  # PO strings use C escapes, a subset of Python's
        elif line.startswith('"') and current is not None and last is not None:
            current.fields[last] += ast.literal_eval(line)
        else:
            raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    return entries


def _live(path: Path) -> list[Entry]:
    return [entry for entry in parse_po(path) if not entry.obsolete]


def _header(entries: list[Entry]) -> dict[str, str]:
    header = next(entry for entry in entries if entry.is_header).translations[0]
    return dict(line.split(": ", 1) for line in header.splitlines() if ": " in line)


def _gettext_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: install gettext (`make system-deps` does).")
    return path


def _list(items: Iterable[str]) -> str:
    return "\n  ".join(sorted(str(item) for item in items))


# --- (a) complete --------------------------------------------------------------------------


def test_swedish_catalogue_has_no_untranslated_or_fuzzy_entries() -> None:
    entries = _live(PO_FILE)
    messages = [entry for entry in entries if not entry.is_header]
    assert messages, f"{PO_FILE} has no messages"
    untranslated = [entry.describe() for entry in messages if not all(entry.translations.values())]
    fuzzy = [entry.describe() if not entry.is_header else "(the header)" for entry in entries if "fuzzy" in entry.flags]
    assert not untranslated, f"Untranslated in {PO_FILE.name}:\n  {_list(untranslated)}\n{HOW_TO_FIX}"
    assert not fuzzy, f"Fuzzy (check the translation, then drop the flag):\n  {_list(fuzzy)}"


def test_swedish_catalogue_header() -> None:
    entries = _live(PO_FILE)
    header = _header(entries)
    assert header["Language"] == "sv"
    assert header["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert "LANGUAGE" not in header["Language-Team"], "fill in the Language-Team header"
    wrong_plurals = [
        entry.describe() for entry in entries if "msgid_plural" in entry.fields and len(entry.translations) != 2
    ]
    assert not wrong_plurals, f"Swedish has two plural forms; these have not:\n  {_list(wrong_plurals)}"


_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[a-zA-Z%]")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def test_translations_keep_placeholders_and_markup() -> None:
    problems = []
    for entry in _live(PO_FILE):
        if entry.is_header or "fuzzy" in entry.flags:
            continue  # a fuzzy entry is not used; the completeness test reports it
        for index, text in entry.translations.items():
            if not text:
                continue  # untranslated: the completeness test reports it
            source = entry.msgid if index == 0 else entry.fields.get("msgid_plural", entry.msgid)
            for pattern in (_PLACEHOLDER, _TAG):
                if Counter(pattern.findall(source)) != Counter(pattern.findall(text)):
                    problems.append(f"{entry.describe()} -> {text!r}")
    assert not problems, f"Placeholders or HTML tags differ from the English:\n  {_list(problems)}"


# --- (b) fresh -------------------------------------------------------------------------------


def test_catalogue_has_every_string_of_the_code(tmp_path: Path) -> None:
    """Extract the strings afresh from a copy of the package and compare with the committed catalogues."""
    for tool in ("xgettext", "msgmerge", "msguniq"):
        _gettext_tool(tool)
    copy = tmp_path / "consulta"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("locale", "__pycache__", "*.pyc"))
    (copy / "locale").mkdir()
    # Without settings, as the Makefile runs it: with them, LOCALE_PATHS would send the
    # output into the real catalogue instead of the copy.
    environment = {name: value for name, value in os.environ.items() if name != "DJANGO_SETTINGS_MODULE"}
    django_admin = Path(sys.executable).parent / "django-admin"
    problems = []
    for domain, arguments in MAKEMESSAGES_RUNS.items():
        result = subprocess.run(
            [str(django_admin), "makemessages", *arguments],
            cwd=copy,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"makemessages --domain {domain} failed:\n{result.stdout}{result.stderr}"
        generated = copy / "locale" / "sv" / "LC_MESSAGES" / f"{domain}.po"
        committed = SV_DIR / f"{domain}.po"
        wanted = {entry.key: entry for entry in _live(generated) if not entry.is_header} if generated.exists() else {}
        present = {entry.key: entry for entry in _live(committed) if not entry.is_header} if committed.exists() else {}
        missing = [wanted[key].describe() for key in wanted.keys() - present.keys()]
        stale = [present[key].describe() for key in present.keys() - wanted.keys()]
        if missing:
            problems.append(f"{committed.name} lacks strings the code uses:\n  {_list(missing)}")
        if stale:
            problems.append(f"{committed.name} has strings the code no longer uses:\n  {_list(stale)}")
    assert not problems, "\n".join(problems) + f"\n{HOW_TO_FIX}"


# --- (c) compiled ------------------------------------------------------------------------------


def _catalog(path: Path) -> dict[object, str]:
    with path.open("rb") as compiled:
        catalog: dict[object, str] = vars(gettext.GNUTranslations(compiled))["_catalog"]
    catalog.pop("", None)  # the header: its dates change with every `make messages`
    return catalog


def test_compiled_catalogue_matches_the_po(tmp_path: Path) -> None:
    fresh = tmp_path / "django.mo"
    result = subprocess.run(
        [_gettext_tool("msgfmt"), "--check", "--statistics", "-o", str(fresh), str(PO_FILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"msgfmt --check refused {PO_FILE}:\n{result.stderr}"
    assert MO_FILE.exists(), f"{MO_FILE} is missing. {HOW_TO_FIX}"
    expected, committed = _catalog(fresh), _catalog(MO_FILE)
    differing = [str(key) for key in expected.keys() | committed.keys() if expected.get(key) != committed.get(key)]
    assert not differing, f"{MO_FILE.name} is older than {PO_FILE.name} for:\n  {_list(differing)}\n{HOW_TO_FIX}"


# --- (d) pages in Swedish, and right to left ---------------------------------------------------------


@pytest.mark.django_db
def test_login_page_follows_accept_language(client: Client) -> None:
    swedish = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert '<html lang="sv" dir="ltr"' in swedish
    assert "Logga in" in swedish
    assert "E-postadress" in swedish
    assert "Lösenord" in swedish
    english = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en" dir="ltr"' in english
    assert "Logga in" not in english


@pytest.mark.django_db
def test_language_switcher_sets_swedish(client: Client) -> None:
    login = reverse("accounts:login")
    response = client.post(reverse("set_language"), {"language": "sv", "next": login})
    assert response.status_code == 302
    page = client.get(login).content.decode()
    assert '<html lang="sv"' in page
    assert "Logga in" in page


def test_base_template_is_right_to_left_for_bidi_languages(rf: RequestFactory) -> None:
    request = rf.get("/")
    request.user = AnonymousUser()
    with translation.override("he"):
        assert translation.get_language_bidi()
        html = render_to_string("base.html", request=request)
    assert '<html lang="he" dir="rtl"' in html
    with translation.override("sv"):
        assert '<html lang="sv" dir="ltr"' in render_to_string("base.html", request=request)


# --- (e) stylesheets that work both ways -------------------------------------------------------------

_PHYSICAL = re.compile(
    r"(?<![\w-])(?:"
    r"(?:margin|padding|border)-(?:left|right)(?:-[\w-]+)?\s*:"
    r"|border-(?:top|bottom)-(?:left|right)-radius\s*:"
    r"|(?:left|right)\s*:"
    r"|(?:text-align|float|clear)\s*:\s*(?:left|right)\b"
    r")",
    re.IGNORECASE,
)


def _blank_out(comment: re.Match[str]) -> str:
    """A comment's line breaks without its text, so that line numbers stay right."""
    return "\n" * comment.group().count("\n")


def test_stylesheets_use_logical_properties_only() -> None:
    sheets = sorted(CSS_DIR.glob("*.css"))
    assert sheets, f"no stylesheets in {CSS_DIR}"
    found = []
    for sheet in sheets:
        css = re.sub(r"/\*.*?\*/", _blank_out, sheet.read_text(encoding="utf-8"), flags=re.S)
        for number, line in enumerate(css.splitlines(), start=1):
            found += [f"{sheet.name}:{number}: {match.group()}" for match in _PHYSICAL.finditer(line)]
    assert not found, (
        "Physical left/right properties break right-to-left languages; use logical ones "
        "(margin-inline-start, padding-inline-end, inset-inline-start, text-align: start…):\n  " + _list(found)
    )
