"""The languages Consulta speaks: one table, read by settings, the picker,
`make messages`, the catalogue tests and docs/languages.md.

The seed's list has 66 entries. Entries that name one written language share
a catalogue ("Thai" and "Thai (Thailand)"; "Chinese" and "Mandarin", which is
written as Simplified Chinese), so there are 64 languages: English, the
source, and 63 catalogues. Each is shown under its own name in its own script.

No Django import here: settings.py reads this module before Django is set up.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Literal

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
    english: str  # its English name, for docs and staff
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
    Language("en", "English", "English", TWO),
    Language("fr", "Français", "French", TWO_ZERO_ONE),
    Language("de", "Deutsch", "German", TWO),
    Language("es", "Español", "Spanish", TWO),
    Language("it", "Italiano", "Italian", TWO),
    Language("nl", "Nederlands", "Dutch", TWO),
    Language("pl", "Polski", "Polish", POLISH),
    Language("ja", "日本語", "Japanese", ONE),
    Language("pt-br", "Português (Brasil)", "Portuguese (Brazil)", TWO_ZERO_ONE),
    Language("ru", "Русский", "Russian", SLAVIC),
    Language("sv", "Svenska", "Swedish", TWO),
    Language("zh-hans", "简体中文（普通话）", "Chinese, Simplified (Mandarin)", ONE),
    Language("he", "עברית", "Hebrew", TWO, "rtl", also=("iw",)),
    Language("zh-hant", "繁體中文", "Chinese, Traditional", ONE),
    Language("fi", "Suomi", "Finnish", TWO),
    Language("ms", "Bahasa Melayu", "Malay", ONE),
    Language("tr", "Türkçe", "Turkish", TWO),
    Language("ko", "한국어", "Korean", ONE),
    Language("fa-af", "دری", "Dari", TWO_ZERO_ONE, "rtl", also=("prs", "fa")),
    Language("so", "Soomaali", "Somali", TWO),
    Language("ti", "ትግርኛ", "Tigrinya", TWO_ZERO_ONE),
    Language("ar", "العربية", "Arabic", ARABIC, "rtl"),
    Language("vi", "Tiếng Việt", "Vietnamese", ONE),
    Language("cs", "Čeština", "Czech", CZECH),
    Language("lv", "Latviešu", "Latvian", LATVIAN),
    Language("nb", "Norsk (bokmål)", "Norwegian (Bokmål)", TWO, also=("no", "nn")),
    Language("sk", "Slovenčina", "Slovak", CZECH),
    Language("hu", "Magyar", "Hungarian", TWO),
    Language("uk", "Українська", "Ukrainian", SLAVIC),
    Language("ro", "Română", "Romanian", ROMANIAN),
    Language("id", "Bahasa Indonesia", "Indonesian", ONE),
    Language("da", "Dansk", "Danish", TWO),
    Language("th", "ไทย", "Thai", ONE),
    Language("kk", "Қазақ тілі", "Kazakh", TWO),
    Language("lt", "Lietuvių", "Lithuanian", LITHUANIAN),
    Language("el", "Ελληνικά", "Greek", TWO),
    Language("bg", "Български", "Bulgarian", TWO),
    Language("yue", "粵語（廣東話）", "Cantonese (written, Hong Kong)", ONE, also=("yue-hant",)),
    Language("be", "Беларуская", "Belarusian", SLAVIC),
    Language("ka", "ქართული", "Georgian", TWO),
    Language("mn", "Монгол", "Mongolian", TWO),
    Language("bs", "Bosanski", "Bosnian", SLAVIC),
    Language("hr", "Hrvatski", "Croatian", SLAVIC),
    Language("pt", "Português (Portugal)", "Portuguese (Portugal)", TWO),
    Language("lo", "ລາວ", "Lao", ONE),
    Language("km", "ខ្មែរ", "Khmer", ONE),
    Language("sr", "Српски", "Serbian (Cyrillic)", SLAVIC, also=("sr-cyrl",)),
    Language("my", "မြန်မာ", "Burmese", ONE),
    Language("bn", "বাংলা", "Bengali", TWO),
    Language("ur", "اردو", "Urdu", TWO, "rtl"),
    Language("sv-fi", "Svenska (Finland)", "Swedish (Finland)", TWO),
    Language("et", "Eesti", "Estonian", TWO),
    Language("ca", "Català", "Catalan", TWO),
    Language("nl-be", "Nederlands (België)", "Dutch (Belgium)", TWO),
    Language("hi", "हिन्दी", "Hindi", TWO),
    Language("kmr", "Kurdî (Kurmancî)", "Kurdish (Kurmanji, Latin script)", TWO, also=("ku",)),
    Language("az", "Azərbaycanca", "Azerbaijani", TWO),
    Language("uz", "Oʻzbekcha", "Uzbek", TWO),
    Language("is", "Íslenska", "Icelandic", ICELANDIC),
    Language("sw", "Kiswahili", "Swahili", TWO),
    Language("zh-hk", "中文（香港）", "Chinese (Hong Kong)", ONE, also=("zh-mo",)),
    Language("sr-latn", "Srpski (latinica)", "Serbian (Latin)", SLAVIC),
    Language("am", "አማርኛ", "Amharic", TWO_ZERO_ONE),
    Language("cnr", "Crnogorski", "Montenegrin", SLAVIC, also=("sr-me", "sr-latn-me")),
)

BY_CODE = {language.code: language for language in LANGUAGES}
TRANSLATED = tuple(language for language in LANGUAGES if language.code != "en")


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


def picker_choices() -> list[tuple[str, str]]:
    """The picker's order: by own name, so each reader finds theirs by sight."""
    return sorted(django_languages(), key=lambda choice: choice[1].casefold())


if __name__ == "__main__":  # `make messages` asks for the catalogues' names
    print(" ".join(language.locale for language in TRANSLATED))
    sys.exit(0)
