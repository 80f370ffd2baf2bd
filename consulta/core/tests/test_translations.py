"""Every catalogue is complete, fresh, sound and compiled; pages follow the language's direction.

After changing a user-facing string: `make messages`, translate what it added in every
catalogue (`manage.py catalogue todo CODE`, then `fill`: docs/languages.md), run
`make messages` again and commit the .po files with their .mo.
"""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from consulta.core import catalogues
from consulta.core.languages import BY_CODE, LANGUAGES, SEED_ENTRIES, TRANSLATED, Language, plural_table

PACKAGE_DIR = Path(__file__).resolve().parents[2]
CSS_DIR = PACKAGE_DIR / "static" / "css"
HOW_TO_FIX = "Run `make messages`, translate the new entries (docs/languages.md), run `make messages` again, commit."
LANGUAGE_IDS = [language.code for language in TRANSLATED]


def _gettext_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: install gettext (`make system-deps` does).")
    return path


def _listed(items: list[str]) -> str:
    return "\n  ".join(items[:40]) + (f"\n  ... and {len(items) - 40} more" if len(items) > 40 else "")


# --- (a) complete and sound, in every language ----------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED, ids=LANGUAGE_IDS)
def test_catalogue_is_complete_and_sound(language: Language) -> None:
    """Nothing untranslated or fuzzy; placeholders and tags intact; the language's plural forms."""
    path = catalogues.catalogue_path(language)
    assert path.exists(), f"{language.code} has no catalogue at {path}. {HOW_TO_FIX}"
    found = catalogues.problems(language, polib.pofile(str(path)))
    assert not found, f"{path}:\n  {_listed(found)}\n{HOW_TO_FIX}"


def test_problems_are_found() -> None:
    """The checks themselves: each kind of broken message is reported."""
    arabic, russian = BY_CODE["ar"], BY_CODE["ru"]
    wrong = polib.POEntry(msgid="Hello %(name)s", msgstr="مرحبا")
    assert catalogues.entry_problems(wrong, arabic) == ["placeholders differ: ['%(name)s'] vs []"]
    tags = polib.POEntry(msgid="<strong>Hi</strong>", msgstr="Hi")
    assert catalogues.entry_problems(tags, arabic) == ["HTML tags differ"]
    fuzzy = polib.POEntry(msgid="Hi", msgstr="Привет", flags=["fuzzy"])
    assert "fuzzy" in catalogues.entry_problems(fuzzy, russian)[0]
    two = polib.POEntry(msgid="%(n)s min", msgid_plural="%(n)s min", msgstr_plural={0: "%(n)s мин", 1: "%(n)s мин"})
    assert catalogues.entry_problems(two, russian) == ["has 2 plural forms, the language has 3"]
    forms = {0: "нет", 1: "одна", 2: "две", 3: "%(n)s", 4: "%(n)s", 5: "%(n)s"}
    dropped = polib.POEntry(msgid="%(n)s min", msgid_plural="%(n)s min", msgstr_plural=forms)
    assert catalogues.entry_problems(dropped, arabic) == []  # 0, 1 and 2 are forms of one number each
    forms[3] = "بضع"
    assert catalogues.entry_problems(dropped, arabic) == ["a plural form leaves out ['%(n)s']"]


# --- (b) fresh: every string of the code, none it dropped -------------------------------------


def test_catalogues_have_every_string_of_the_code(tmp_path: Path) -> None:
    """Extract the strings afresh from a copy of the package and compare with every catalogue."""
    for tool in ("xgettext", "msgmerge", "msguniq"):
        _gettext_tool(tool)
    copy = tmp_path / "consulta"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("locale", "__pycache__", "*.pyc"))
    (copy / "locale").mkdir()
    # Without settings, as the Makefile runs it: with them, LOCALE_PATHS would send the
    # output into the real catalogues instead of the copy.
    environment = {name: value for name, value in os.environ.items() if name != "DJANGO_SETTINGS_MODULE"}
    django_admin = Path(sys.executable).parent / "django-admin"
    arguments = ["makemessages", "--locale", "sv", "--no-location", "--no-obsolete"]
    problems = []
    for domain, extra in (("django", []), ("djangojs", ["--domain", "djangojs", "--ignore", "static/vendor/*"])):
        result = subprocess.run(
            [str(django_admin), *arguments, *extra], cwd=copy, env=environment, capture_output=True, text=True
        )
        assert result.returncode == 0, f"makemessages --domain {domain} failed:\n{result.stdout}{result.stderr}"
        generated = copy / "locale" / "sv" / "LC_MESSAGES" / f"{domain}.po"
        wanted = _keys(generated)
        for language in TRANSLATED:
            present = _keys(catalogues.catalogue_path(language, domain))
            if wanted - present:
                problems.append(
                    f"{language.code} {domain}.po lacks {len(wanted - present)}: {sorted(wanted - present)[:3]}"
                )
            if present - wanted:
                problems.append(
                    f"{language.code} {domain}.po has {len(present - wanted)} unused: {sorted(present - wanted)[:3]}"
                )
    assert not problems, "\n".join(problems) + f"\n{HOW_TO_FIX}"


def _keys(path: Path) -> set[tuple[str, str]]:
    if not path.exists():
        return set()
    return {(entry.msgctxt or "", entry.msgid) for entry in polib.pofile(str(path)) if not entry.obsolete}


# --- (c) compiled, and accepted by gettext's own check ------------------------------------------


def _catalog(path: Path) -> dict[object, str]:
    with path.open("rb") as compiled:
        catalog: dict[object, str] = vars(gettext.GNUTranslations(compiled))["_catalog"]
    catalog.pop("", None)  # the header: its dates change with every `make messages`
    return catalog


@pytest.mark.parametrize("language", TRANSLATED, ids=LANGUAGE_IDS)
def test_compiled_catalogue_matches_the_po(language: Language, tmp_path: Path) -> None:
    po = catalogues.catalogue_path(language)
    mo, fresh = po.with_suffix(".mo"), tmp_path / "django.mo"
    result = subprocess.run(
        [_gettext_tool("msgfmt"), "--check", "-o", str(fresh), str(po)], capture_output=True, text=True
    )
    assert result.returncode == 0, f"msgfmt --check refused {po}:\n{result.stderr}"
    assert mo.exists(), f"{mo} is missing. {HOW_TO_FIX}"
    expected, committed = _catalog(fresh), _catalog(mo)
    differing = [str(key) for key in expected.keys() | committed.keys() if expected.get(key) != committed.get(key)]
    assert not differing, f"{mo.name} of {language.code} is older than its .po for:\n  {_listed(differing)}"


# --- (d) the languages themselves ---------------------------------------------------------------------


def test_every_language_is_set_up() -> None:
    assert [code for code, _name in settings.LANGUAGES] == [language.code for language in LANGUAGES]
    assert len(LANGUAGES) == 64
    assert sorted(settings.LANGUAGES_BIDI) == ["ar", "fa", "he", "ur"]
    for language in LANGUAGES:
        info = translation.get_language_info(language.code)
        assert info["name_local"] == language.name
        assert info["bidi"] == (language.direction == "rtl"), language.code


def test_the_languages_page_maps_every_entry_of_the_source() -> None:
    """docs/languages.md has a row for each of the source's 66 entries, with its code and catalogue."""
    page = (PACKAGE_DIR.parent / "docs" / "languages.md").read_text(encoding="utf-8")
    assert len(SEED_ENTRIES) == 66
    assert {code for _entry, code in SEED_ENTRIES} == set(BY_CODE)
    missing = []
    for entry, code in SEED_ENTRIES:
        language = BY_CODE[code]
        catalogue = "— (source)" if code == "en" else f"`consulta/locale/{language.locale}/`"
        if f"| {entry} | `{code}` | {language.name} | {catalogue} | {language.direction} |" not in page:
            missing.append(entry)
    assert not missing, f"docs/languages.md lacks the rows of {missing}"


@pytest.mark.parametrize("language", LANGUAGES, ids=[language.code for language in LANGUAGES])
def test_plural_table_holds_for_every_number(language: Language) -> None:
    """Page scripts read a form from 200 digits; gettext's rule must agree up to any number."""
    rule = gettext.c2py(language.plural_forms.split("plural=", 1)[1].rstrip(";"))
    table = plural_table(language.code)
    wrong = [n for n in range(0, 20_000) if rule(n) != int(table[n if n < 200 else 100 + n % 100])]
    assert not wrong, f"{language.code}: the table is wrong for {wrong[:10]}"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("ar-SA,ar;q=0.9", "ar"),
        ("prs", "fa-af"),
        ("fa-AF", "fa-af"),
        ("fa-IR", "fa-af"),  # Farsi readers read Dari: nearer than English
        ("zh-CN", "zh-hans"),
        ("zh", "zh-hans"),
        ("zh-TW", "zh-hant"),
        ("zh-HK", "zh-hk"),
        ("yue-HK", "yue"),
        ("sr-Latn-RS", "sr-latn"),
        ("sr-RS", "sr"),
        ("sr-ME", "cnr"),
        ("no", "nb"),
        ("nb-NO", "nb"),
        ("ku", "kmr"),
        ("pt-PT", "pt"),
        ("pt-BR", "pt-br"),
        ("nl-BE", "nl-be"),
        ("sv-FI", "sv-fi"),
        ("iw", "he"),
        ("ti-ER", "ti"),
        ("en-US", "en"),
        ("xx-unknown", "en"),
    ],
)
@pytest.mark.django_db
def test_browser_languages_find_their_catalogue(client: Client, accept: str, expected: str) -> None:
    page = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE=accept)
    assert page.headers["Content-Language"] == expected


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
        "(margin-inline-start, padding-inline-end, inset-inline-start, text-align: start…):\n  " + _listed(found)
    )
