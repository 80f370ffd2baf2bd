"""Create the demo organisation, its clinics, people and rooms. Safe to run again.

With --json it prints one JSON document that tests and tools rely on; its
shape is documented in the README ("Demo data"). With --history DAYS it also makes that many
days of past consultations and room calls (once: not when the demo already has some), so the
reports are filled from the first login.
"""

from __future__ import annotations

import json
import random
import zoneinfo
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from consulta.accounts.models import User
from consulta.consultations.models import ConsultationRecord
from consulta.organisations.models import (
    Clinic,
    ClinicMembership,
    ClinicRole,
    Organisation,
    OrganisationMembership,
    OrganisationRole,
)
from consulta.reports.history import generate_history
from consulta.rooms.models import GuestLink, MeetingRoom

DEMO_PASSWORD = "consulta-demo-2026"  # noqa: S105 - printed for the demo on purpose
DOMAIN = "demo.consulta.test"

ORGANISATION = {
    "slug": "demo-health",
    "name": "Demo Health",
    "time_zone": "Europe/Stockholm",
    "support_contact": "support@demo.consulta.test, +46 8 123 456 00",
    "terms": "Video consultations are private: nothing of the call is recorded or stored.",
}
CLINICS = [
    {"slug": "northside", "name": "Northside Health Centre", "room": "Case conference"},
    {"slug": "harbour", "name": "Harbour Clinic", "room": "Team room"},
]
# --history: consultations a day on average, by clinic (about one room call for every eight).
HISTORY_PER_DAY = {"northside": 28, "harbour": 16}
HISTORY_SEED = 2026  # the same history on every machine
# (local part, first name, last name, role, clinic slug or None)
PEOPLE = [
    ("org.admin", "Olivia", "Admin", OrganisationRole.ADMIN, None),
    ("coordinator", "Carl", "Coordinator", OrganisationRole.COORDINATOR, None),
    ("reporter", "Rita", "Reporter", OrganisationRole.REPORTER, None),
    ("clinic.admin", "Anna", "Lind", ClinicRole.ADMIN, "northside"),
    ("clerk", "Clara", "Clerk", ClinicRole.CLERK, "northside"),
    ("doctor", "David", "Berg", ClinicRole.MEMBER, "northside"),
    ("harbour.admin", "Hanna", "Holm", ClinicRole.ADMIN, "harbour"),
    ("nurse", "Nils", "Ek", ClinicRole.MEMBER, "harbour"),
]
ROLE_NAMES = {
    (OrganisationRole.ADMIN, False): "organisation_admin",
    (OrganisationRole.COORDINATOR, False): "organisation_coordinator",
    (OrganisationRole.REPORTER, False): "organisation_reporter",
    (ClinicRole.ADMIN, True): "clinic_admin",
    (ClinicRole.CLERK, True): "clinic_clerk",
    (ClinicRole.MEMBER, True): "team_member",
}


class Command(BaseCommand):
    help = "Create (or refresh) the demo organisation, clinics, people and rooms."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the demo data as one JSON document.")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Create nothing when the database already holds an organisation; still print the demo data.",
        )
        parser.add_argument("--base-url", default=settings.BASE_URL, help="Address the links in the output start with.")
        parser.add_argument(
            "--history",
            type=int,
            default=0,
            metavar="DAYS",
            help="Also make DAYS days of past consultations and room calls for the reports (once).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        base_url = options["base_url"].rstrip("/")
        if options["if_empty"] and Organisation.objects.exists():
            if not Organisation.objects.filter(slug=ORGANISATION["slug"]).exists():
                self.stdout.write("The database holds data of its own: no demo data added.")
                return
            data = seed(base_url, refresh=False)
        else:
            with transaction.atomic():
                data = seed(base_url)
        if options["history"] > 0:
            data["history"] = seed_history(options["history"])
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
        else:
            self.stdout.write(describe(data))


def seed(base_url: str, refresh: bool = True) -> dict[str, Any]:
    """Create what is missing; with `refresh`, also reset the demo passwords."""
    organisation, _ = Organisation.objects.update_or_create(slug=ORGANISATION["slug"], defaults=ORGANISATION)
    clinics = []
    for spec in CLINICS:
        clinic = Clinic.objects.filter(slug=spec["slug"]).first()
        if clinic is None:
            clinic = Clinic.objects.create(organisation=organisation, slug=spec["slug"], name=spec["name"])
        room, _ = MeetingRoom.objects.get_or_create(clinic=clinic, name=spec["room"])
        link = GuestLink.objects.valid().filter(meeting_room=room, label="Demo guest").first()
        if link is None or link.expires_at < timezone.now() + timedelta(days=7):
            link = GuestLink.objects.create(
                meeting_room=room, label="Demo guest", expires_at=timezone.now() + timedelta(days=90)
            )
        clinics.append(
            {
                "name": clinic.name,
                "slug": clinic.slug,
                "waiting_area_url": base_url + reverse("consultations:entry", args=[clinic.slug]),
                "dashboard_url": base_url + reverse("consultations:dashboard", args=[clinic.slug]),
                "meeting_rooms": [
                    {
                        "name": room.name,
                        "url": base_url + reverse("rooms:meeting_room", args=[room.token]),
                        "guest_url": base_url + reverse("rooms:guest", args=[link.token]),
                    }
                ],
            }
        )

    users = []
    for local, first, last, role, clinic_slug in PEOPLE:
        email = f"{local}@{DOMAIN}"
        user = User.objects.filter(email=email).first() or User(email=email)
        user.first_name, user.last_name, user.is_active = first, last, True
        if refresh or user.pk is None:
            user.set_password(DEMO_PASSWORD)
        user.save()
        if clinic_slug is None:
            OrganisationMembership.objects.update_or_create(
                organisation=organisation, user=user, defaults={"role": role}
            )
        else:
            ClinicMembership.objects.update_or_create(
                clinic=Clinic.objects.get(slug=clinic_slug), user=user, defaults={"role": role}
            )
        users.append(
            {
                "email": email,
                "password": DEMO_PASSWORD,
                "role": ROLE_NAMES[(role, clinic_slug is not None)],
                "clinic": clinic_slug,
            }
        )

    return {
        "base_url": base_url,
        "login_url": base_url + reverse("accounts:login"),
        "organisation": {"name": organisation.name},
        "clinics": clinics,
        "users": users,
    }


def seed_history(days: int) -> dict[str, int]:
    """`days` days of finished consultations and room calls, up to last midnight, answered by each
    clinic's own team; nothing when the demo clinics already have a history."""
    organisation = Organisation.objects.get(slug=ORGANISATION["slug"])
    clinics = {clinic.slug: clinic for clinic in organisation.clinics.all()}
    if ConsultationRecord.objects.filter(clinic__in=clinics.values()).exists():
        return {"consultations": 0, "room_calls": 0, "events": 0}
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    today = timezone.localdate(timezone=zone)
    start = datetime.combine(today - timedelta(days=days), datetime.min.time(), tzinfo=zone)
    rng = random.Random(HISTORY_SEED)  # noqa: S311 - made-up demo figures, not secrets
    written = {"consultations": 0, "room_calls": 0, "events": 0}
    for slug, per_day in HISTORY_PER_DAY.items():
        clinic = clinics[slug]
        staff = list(User.objects.filter(clinic_memberships__clinic=clinic).order_by("pk"))
        made = generate_history(
            organisation,
            [clinic],
            start,
            days,
            days * per_day,
            rng,
            staff,
            first_number=written["consultations"] + 1,
        )
        written = {name: written[name] + made[name] for name in written}
    return written


def describe(data: dict[str, Any]) -> str:
    lines = [
        f"Demo organisation: {data['organisation']['name']}",
        f"Log in at {data['login_url']} with any of these (password: {DEMO_PASSWORD}):",
    ]
    for user in data["users"]:
        where = f" at {user['clinic']}" if user["clinic"] else ""
        lines.append(f"  {user['email']:<36} {user['role']}{where}")
    for clinic in data["clinics"]:
        lines.append(f"{clinic['name']}: patient link {clinic['waiting_area_url']}")
        lines.append(f"  dashboard {clinic['dashboard_url']}")
        for room in clinic["meeting_rooms"]:
            lines.append(f"  meeting room '{room['name']}' guest link {room['guest_url']}")
    if data.get("history", {}).get("consultations"):
        history = data["history"]
        lines.append(
            f"Report history: {history['consultations']} past consultations and {history['room_calls']} room calls."
        )
    return "\n".join(lines)
