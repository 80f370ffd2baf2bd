"""The languages Consulta speaks: one table, read by settings, the picker,
`make messages`, the catalogue tests and docs/languages.md.

The seed's list has 66 entries. Entries that name one written language share
a catalogue ("Thai" and "Thai (Thailand)"; "Chinese" and "Mandarin", which is
written as Simplified Chinese), so there are 64 languages: English, the
source, and 63 catalogues. Each is shown under its own name in its own script.

settings.py reads this module before Django is set up: nothing here reads settings.
"""

from __future__ import annotations

import functools
import gettext
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal


def gettext_noop(message: str) -> str:
    """Marks the English names for makemessages (Django's own reads settings)."""
    return message


Direction = Literal["ltr", "rtl"]

# The standard gettext forms (GNU gettext's table, CLDR where it adds one).
ONE = "nplurals=1; plural=0;"
TWO = "nplurals=2; plural=(n != 1);"
TWO_ZERO_ONE = "nplurals=2; plural=(n > 1);"
SLAVIC = "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
POLISH = "nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
CZECH = "nplurals=3; plural=(n==1) ? 0 : (n>=2 && n<=4) ? 1 : 2;"
ARABIC = "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);"
ROMANIAN = "nplurals=3; plural=(n==1 ? 0 : (n==0 || (n%100 > 0 && n%100 < 20)) ? 1 : 2);"
LATVIAN = "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n != 0 ? 1 : 2);"
LITHUANIAN = "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && (n%100<10 || n%100>=20) ? 1 : 2);"
ICELANDIC = "nplurals=2; plural=(n%10!=1 || n%100==11);"


@dataclass(frozen=True)
class Language:
    code: str  # Django's language code (BCP 47, lower case)
    name: str  # its own name, in its own script
    english: str  # its English name (translated for staff: gettext(language.english))
    plural_forms: str
    direction: Direction = "ltr"
    # Browser codes that should land here rather than on English.
    also: tuple[str, ...] = ()

    @property
    def locale(self) -> str:
        """The catalogue's directory name: pt-br → pt_BR, sr-latn → sr_Latn."""
        lang, _, rest = self.code.partition("-")
        if not rest:
            return lang
        return f"{lang}_{rest.title() if len(rest) > 2 else rest.upper()}"

    @property
    def base(self) -> str:
        return self.code.split("-")[0]


# In the order of the seed's list (its first appearance of each language).
LANGUAGES: tuple[Language, ...] = (
    Language("en", "English", gettext_noop("English"), TWO),
    Language("fr", "Français", gettext_noop("French"), TWO_ZERO_ONE),
    Language("de", "Deutsch", gettext_noop("German"), TWO),
    Language("es", "Español", gettext_noop("Spanish"), TWO),
    Language("it", "Italiano", gettext_noop("Italian"), TWO),
    Language("nl", "Nederlands", gettext_noop("Dutch"), TWO),
    Language("pl", "Polski", gettext_noop("Polish"), POLISH),
    Language("ja", "日本語", gettext_noop("Japanese"), ONE),
    Language("pt-br", "Português (Brasil)", gettext_noop("Portuguese (Brazil)"), TWO_ZERO_ONE),
    Language("ru", "Русский", gettext_noop("Russian"), SLAVIC),
    Language("sv", "Svenska", gettext_noop("Swedish"), TWO),
    Language("zh-hans", "简体中文（普通话）", gettext_noop("Chinese, Simplified (Mandarin)"), ONE),
    Language("he", "עברית", gettext_noop("Hebrew"), TWO, "rtl", also=("iw",)),
    Language("zh-hant", "繁體中文", gettext_noop("Chinese, Traditional"), ONE),
    Language("fi", "Suomi", gettext_noop("Finnish"), TWO),
    Language("ms", "Bahasa Melayu", gettext_noop("Malay"), ONE),
    Language("tr", "Türkçe", gettext_noop("Turkish"), TWO),
    Language("ko", "한국어", gettext_noop("Korean"), ONE),
    Language("fa-af", "دری", gettext_noop("Dari"), TWO_ZERO_ONE, "rtl", also=("prs", "fa")),
    Language("so", "Soomaali", gettext_noop("Somali"), TWO),
    Language("ti", "ትግርኛ", gettext_noop("Tigrinya"), TWO_ZERO_ONE),
    Language("ar", "العربية", gettext_noop("Arabic"), ARABIC, "rtl"),
    Language("vi", "Tiếng Việt", gettext_noop("Vietnamese"), ONE),
    Language("cs", "Čeština", gettext_noop("Czech"), CZECH),
    Language("lv", "Latviešu", gettext_noop("Latvian"), LATVIAN),
    Language("nb", "Norsk (bokmål)", gettext_noop("Norwegian (Bokmål)"), TWO, also=("no", "nn")),
    Language("sk", "Slovenčina", gettext_noop("Slovak"), CZECH),
    Language("hu", "Magyar", gettext_noop("Hungarian"), TWO),
    Language("uk", "Українська", gettext_noop("Ukrainian"), SLAVIC),
    Language("ro", "Română", gettext_noop("Romanian"), ROMANIAN),
    Language("id", "Bahasa Indonesia", gettext_noop("Indonesian"), ONE),
    Language("da", "Dansk", gettext_noop("Danish"), TWO),
    Language("th", "ไทย", gettext_noop("Thai"), ONE),
    Language("kk", "Қазақ тілі", gettext_noop("Kazakh"), TWO),
    Language("lt", "Lietuvių", gettext_noop("Lithuanian"), LITHUANIAN),
    Language("el", "Ελληνικά", gettext_noop("Greek"), TWO),
    Language("bg", "Български", gettext_noop("Bulgarian"), TWO),
    Language("yue", "粵語（廣東話）", gettext_noop("Cantonese (written, Hong Kong)"), ONE, also=("yue-hant",)),
    Language("be", "Беларуская", gettext_noop("Belarusian"), SLAVIC),
    Language("ka", "ქართული", gettext_noop("Georgian"), TWO),
    Language("mn", "Монгол", gettext_noop("Mongolian"), TWO),
    Language("bs", "Bosanski", gettext_noop("Bosnian"), SLAVIC),
    Language("hr", "Hrvatski", gettext_noop("Croatian"), SLAVIC),
    Language("pt", "Português (Portugal)", gettext_noop("Portuguese (Portugal)"), TWO),
    Language("lo", "ລາວ", gettext_noop("Lao"), ONE),
    Language("km", "ខ្មែរ", gettext_noop("Khmer"), ONE),
    Language("sr", "Српски", gettext_noop("Serbian (Cyrillic)"), SLAVIC, also=("sr-cyrl",)),
    Language("my", "မြန်မာ", gettext_noop("Burmese"), ONE),
    Language("bn", "বাংলা", gettext_noop("Bengali"), TWO),
    Language("ur", "اردو", gettext_noop("Urdu"), TWO, "rtl"),
    Language("sv-fi", "Svenska (Finland)", gettext_noop("Swedish (Finland)"), TWO),
    Language("et", "Eesti", gettext_noop("Estonian"), TWO),
    Language("ca", "Català", gettext_noop("Catalan"), TWO),
    Language("nl-be", "Nederlands (België)", gettext_noop("Dutch (Belgium)"), TWO),
    Language("hi", "हिन्दी", gettext_noop("Hindi"), TWO),
    Language("kmr", "Kurdî (Kurmancî)", gettext_noop("Kurdish (Kurmanji, Latin script)"), TWO, also=("ku",)),
    Language("az", "Azərbaycanca", gettext_noop("Azerbaijani"), TWO),
    Language("uz", "Oʻzbekcha", gettext_noop("Uzbek"), TWO),
    Language("is", "Íslenska", gettext_noop("Icelandic"), ICELANDIC),
    Language("sw", "Kiswahili", gettext_noop("Swahili"), TWO),
    Language("zh-hk", "中文（香港）", gettext_noop("Chinese (Hong Kong)"), ONE, also=("zh-mo",)),
    Language("sr-latn", "Srpski (latinica)", gettext_noop("Serbian (Latin)"), SLAVIC),
    Language("am", "አማርኛ", gettext_noop("Amharic"), TWO_ZERO_ONE),
    Language("cnr", "Crnogorski", gettext_noop("Montenegrin"), SLAVIC, also=("sr-me", "sr-latn-me")),
)

# The seed's list (../shared/seed/000_16f0b894f60ff6bc.txt), in its order and words, and the
# language each entry is: docs/languages.md's table, checked by the catalogue tests.
SEED_ENTRIES: tuple[tuple[str, str], ...] = (
    ("US English (US)", "en"),
    ("FR French", "fr"),
    ("DE German", "de"),
    ("ES Spanish", "es"),
    ("IT Italian", "it"),
    ("NL Dutch", "nl"),
    ("PL Polish", "pl"),
    ("JP Japanese", "ja"),
    ("BR Portuguese (Brazil)", "pt-br"),
    ("RU Russian", "ru"),
    ("SE Swedish", "sv"),
    ("CN Chinese", "zh-hans"),
    ("IL Hebrew", "he"),
    ("N Traditional Chinese", "zh-hant"),
    ("FI Finnish", "fi"),
    ("MS Malaysian", "ms"),
    ("TR Turkish", "tr"),
    ("KR Korean", "ko"),
    ("AF Dari", "fa-af"),
    ("SO Somali", "so"),
    ("ER Tigrinya", "ti"),
    ("SA Arabic", "ar"),
    ("VI Vietnamese", "vi"),
    ("CS Czech", "cs"),
    ("LV Latvian", "lv"),
    ("NO Norwegian", "nb"),
    ("SK Slovak", "sk"),
    ("HU Hungarian", "hu"),
    ("UA Ukrainian", "uk"),
    ("RO Romanian", "ro"),
    ("ID Indonesian", "id"),
    ("DA Danish", "da"),
    ("TH Thai", "th"),
    ("KZ Kazakh", "kk"),
    ("LT Lithuanian", "lt"),
    ("GR Greek", "el"),
    ("BG Bulgarian", "bg"),
    ("Mandarin", "zh-hans"),
    ("Cantonese", "yue"),
    ("Thai (Thailand)", "th"),
    ("Belarusian", "be"),
    ("Georgian", "ka"),
    ("Mongolian", "mn"),
    ("BS Bosnian", "bs"),
    ("HR Croatian", "hr"),
    ("PT Portuguese", "pt"),
    ("LO Laos (Lao)", "lo"),
    ("KM Cambodia (Khmer)", "km"),
    ("SR Serbian", "sr"),
    ("MY Myanmar (Burmese)", "my"),
    ("BN Bangladesh (Bengali)", "bn"),
    ("UR Pakistan (Urdu)", "ur"),
    ("SW Finnish Swedish", "sv-fi"),
    ("ET Estonian", "et"),
    ("CA Catalan", "ca"),
    ("BE Dutch (Belgium)", "nl-be"),
    ("IN Hindi", "hi"),
    ("kurdish", "kmr"),
    ("Azerbaijani", "az"),
    ("Uzbek", "uz"),
    ("Icelandic", "is"),
    ("Swahili", "sw"),
    ("HK Chinese (HK)", "zh-hk"),
    ("Serbian Latin", "sr-latn"),
    ("Amharic", "am"),
    ("Montenegrin", "cnr"),
)

BY_CODE = {language.code: language for language in LANGUAGES}
TRANSLATED = tuple(language for language in LANGUAGES if language.code != "en")


def nplurals(language: Language) -> int:
    return int(language.plural_forms.split(";")[0].split("=")[1])


@functools.cache
def plural_table(code: str) -> str:
    """The plural form of every number 0-199, one digit each ("0111..." for English):
    page scripts choose with it (static/js/call/plural.js), exactly as gettext does. From 200
    on, a form depends only on n % 100 (no rule compares n with anything above 100), so
    n takes the form of 100 + n % 100."""
    language = BY_CODE.get(code, BY_CODE["en"])
    rule = gettext.c2py(language.plural_forms.split("plural=", 1)[1].rstrip(";"))
    return "".join(str(rule(n)) for n in range(200))


@functools.cache
def plural_examples(code: str) -> tuple[tuple[int, ...], ...]:
    """The first few numbers that take each plural form: the first is the form's sample."""
    table = plural_table(code)
    forms = nplurals(BY_CODE.get(code, BY_CODE["en"]))
    return tuple(tuple(n for n in range(200) if int(table[n]) == form)[:6] for form in range(forms))


def plural_label(choose: Callable[[int], str]) -> list[str]:
    """A label with plurals for page scripts: `choose` is an ngettext call (so makemessages
    finds its strings), asked once per plural form of the active language with that form's
    sample number; the script picks by `plural_table`. Needs Django (get_language)."""
    from django.utils.translation import get_language

    return [choose(numbers[0]) for numbers in plural_examples(get_language() or "en")]


def django_languages() -> list[tuple[str, str]]:
    """settings.LANGUAGES: each under its own name (the picker's words)."""
    return [(language.code, language.name) for language in LANGUAGES]


def bidi_codes() -> list[str]:
    """settings.LANGUAGES_BIDI: Django compares the part before the first "-"."""
    return sorted({language.base for language in LANGUAGES if language.direction == "rtl"})


def install_lang_info() -> None:
    """Tell Django about the languages it has no entry for, and which browser
    codes fall back to ours (a Dari browser sends "prs" or "fa-AF")."""
    from django.conf import locale  # Django's data only: no settings needed

    for language in LANGUAGES:
        locale.LANG_INFO[language.code] = {
            "bidi": language.direction == "rtl",
            "code": language.code,
            "name": language.english,
            "name_local": language.name,
        }
        for other in language.also:
            locale.LANG_INFO[other] = {"fallback": [language.code]}


def described(code: str) -> str:
    """A language for staff: its own name, and its name in the page's language where that
    differs ("العربية (Arabic)"). Needs Django: gettext of the English name."""
    from django.utils.translation import gettext

    language = BY_CODE.get(code)
    if language is None:
        return code
    translated = gettext(language.english)
    return language.name if translated == language.name else f"{language.name} ({translated})"


def page_names() -> dict[str, tuple[str, str]]:
    """Every language's own name and its name in the page's language, for page scripts."""
    from django.utils.translation import gettext

    return {language.code: (language.name, gettext(language.english)) for language in LANGUAGES}


def picker_choices() -> list[tuple[str, str]]:
    """The picker's order: by own name, so each reader finds theirs by sight."""
    return sorted(django_languages(), key=lambda choice: choice[1].casefold())


if __name__ == "__main__":  # `make messages` asks for the catalogues' names
    print(" ".join(language.locale for language in TRANSLATED))
    sys.exit(0)
