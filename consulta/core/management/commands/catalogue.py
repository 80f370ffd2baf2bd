"""Fill and check the translation catalogues (docs/languages.md).

manage.py catalogue headers             set every catalogue's headers
manage.py catalogue check [CODE...]      list problems; exit 1 if any
manage.py catalogue todo CODE            the messages still to translate, as JSON
manage.py catalogue fill CODE LIST FILE  write a fill file's translations in
                                        (LIST: the `todo` output its numbers are from;
                                        --check: only report what would be refused)
manage.py catalogue plurals CODE         which numbers take each plural form
manage.py catalogue serbian-latin        fill sr-latn from sr by transliteration
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polib
from django.core.management.base import BaseCommand, CommandError, CommandParser

from consulta.core import catalogues
from consulta.core.languages import BY_CODE, TRANSLATED, Language, plural_examples


class Command(BaseCommand):
    help = "Fill and check the translation catalogues."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["headers", "check", "todo", "fill", "plurals", "serbian-latin"])
        parser.add_argument("args", nargs="*")
        parser.add_argument("--domain", default="django", choices=catalogues.DOMAINS)
        parser.add_argument("--check", action="store_true", help="fill: write nothing")

    def handle(self, *args: str, **options: Any) -> None:
        action, domain = options["action"], options["domain"]
        if action == "headers":
            self.headers(domain)
        elif action == "check":
            self.check_all([language(code) for code in args] or list(TRANSLATED), domain)
        elif action == "todo":
            self.stdout.write(catalogues.dump(catalogues.todo(language(args[0]), domain)))
        elif action == "fill":
            self.fill(language(args[0]), domain, Path(args[1]), Path(args[2]), options["check"])
        elif action == "plurals":
            for index, numbers in enumerate(plural_examples(language(args[0]).code)):
                self.stdout.write(f"form {index}: {', '.join(map(str, numbers))}, ...")
        else:
            done = catalogues.transliterate_serbian(domain)
            self.stdout.write(f"{done} messages transliterated")

    def fill(self, each: Language, domain: str, source: Path, answers: Path, check: bool) -> None:
        items = json.loads(source.read_text(encoding="utf-8"))
        given = json.loads(answers.read_text(encoding="utf-8"))
        refused = catalogues.fill(each, domain, items, given, write=not check)
        verb = "would be written" if check else "written"
        self.stdout.write("\n".join(refused) or f"all {len(given)} {verb}")
        if refused:
            raise CommandError(f"{len(refused)} of {len(given)} refused")

    def headers(self, domain: str) -> None:
        for code_language in TRANSLATED:
            path = catalogues.catalogue_path(code_language, domain)
            if path.exists():
                catalogue = polib.pofile(str(path))
                catalogues.set_headers(code_language, catalogue)
                catalogue.save(str(path))

    def check_all(self, languages: list[Language], domain: str) -> None:
        failed = 0
        for each in languages:
            path = catalogues.catalogue_path(each, domain)
            found = catalogues.problems(each, polib.pofile(str(path))) if path.exists() else ["no catalogue"]
            self.stdout.write(f"{each.code}: {len(found)} problems")
            for problem in found[:5]:
                self.stdout.write(f"  {problem}")
            failed += bool(found)
        if failed:
            raise CommandError(f"{failed} catalogues have problems")


def language(code: str) -> Language:
    if code not in BY_CODE or code == "en":
        raise CommandError(f"unknown language {code!r}: see consulta/core/languages.py")
    return BY_CODE[code]
