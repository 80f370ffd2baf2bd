"""Make an organisation API key from the command line (for set-up scripts and the schema test).

    manage.py create_api_key demo-health --name "Booking system" --access write --names --clinic northside

Prints the key once, on its own line: keep it, only its SHA-256 is stored. The page for
people is the organisation's "API keys" (o/<slug>/api-keys/).
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from consulta.api import actions
from consulta.organisations.models import Organisation


class Command(BaseCommand):
    help = "Make an API key for an organisation and print it (shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organisation", help="The organisation's slug.")
        parser.add_argument("--name", required=True, help="What uses the key.")
        parser.add_argument("--access", choices=["read", "write"], default="read")
        parser.add_argument("--names", action="store_true", help="The key may see patients' names.")
        parser.add_argument(
            "--clinic", action="append", default=[], help="A clinic's slug (repeat for more); default every clinic."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"No organisation {options['organisation']!r}.")
        clinics = None
        if options["clinic"]:
            clinics = list(organisation.clinics.filter(slug__in=options["clinic"]))
            if len(clinics) != len(set(options["clinic"])):
                raise CommandError("Some of those clinics are not this organisation's.")
        _key, token = actions.create_key(
            organisation,
            name=options["name"],
            access=options["access"],
            can_see_names=options["names"],
            clinics=clinics,
            created_by=None,
        )
        self.stdout.write(token)
