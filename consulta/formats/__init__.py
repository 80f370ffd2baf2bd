"""Date, time and number formats for the languages Django has none for (FORMAT_MODULE_PATH).

Without them Django writes English ("Dec. 1, 2026, 4 p.m.") in those languages. Ours are
numeric (no month names: Django has no catalogue of them for several of these) in each
locale's usual order (CLDR's short date), with 24-hour times. See docs/languages.md.
"""
