"""Every script of every language renders on the machine: each character the catalogues (and
the picker's names) use has an installed font. Chromium draws with fontconfig's fonts, so a
character no font has is a box. The fonts a deployment needs: docs/deployment.md, and
`make system-deps` installs them (fonts-noto-core, fonts-noto-cjk)."""

from __future__ import annotations

import functools
import shutil
import subprocess
import unicodedata

import polib
import pytest

from consulta.core import catalogues
from consulta.core.languages import LANGUAGES, TRANSLATED, Language

# Marks that draw nothing of their own: joiners, direction marks, spaces and controls.
INVISIBLE = {"Cc", "Cf", "Zs", "Zl", "Zp"}


@functools.cache
def covered() -> frozenset[int]:
    """Every code point some installed font has, from fontconfig's own charsets."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        pytest.fail("fc-list is missing: install fontconfig and the fonts (`make system-deps`).")
    output = subprocess.run([fc_list, "--format=%{charset}\\n"], capture_output=True, text=True, check=True).stdout
    points: set[int] = set()
    for span in output.split():
        first, _, last = span.partition("-")
        points.update(range(int(first, 16), int(last or first, 16) + 1))
    return frozenset(points)


def missing(text: str) -> list[str]:
    return sorted({c for c in text if unicodedata.category(c) not in INVISIBLE and ord(c) not in covered()})


@pytest.mark.parametrize("language", TRANSLATED, ids=[language.code for language in TRANSLATED])
def test_every_character_of_the_catalogue_has_a_font(language: Language) -> None:
    text = "".join(
        entry.msgstr + "".join(entry.msgstr_plural.values())
        for entry in polib.pofile(str(catalogues.catalogue_path(language)))
    )
    absent = missing(text + language.name)
    assert not absent, f"{language.code}: no installed font has {[f'U+{ord(c):04X} {c}' for c in absent][:20]}"


def test_every_name_in_the_picker_has_a_font() -> None:
    absent = {language.code: missing(language.name) for language in LANGUAGES if missing(language.name)}
    assert not absent


def test_the_check_can_fail() -> None:
    assert missing("\U0001fbff") == ["\U0001fbff"]  # an unassigned code point: no font has it
