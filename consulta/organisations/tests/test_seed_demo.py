"""`seed_demo --json`: the documented shape, idempotence, and that what it prints works."""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command

from consulta.accounts.models import User
from consulta.organisations.models import (
    Clinic,
    ClinicMembership,
    ClinicRole,
    Organisation,
    OrganisationMembership,
    OrganisationRole,
)
from consulta.rooms.models import GuestLink, MeetingRoom, WaitingArea
from consulta.testing import client_for

pytestmark = pytest.mark.django_db

ROLES = {
    "organisation_admin": OrganisationRole.ADMIN,
    "organisation_coordinator": OrganisationRole.COORDINATOR,
    "organisation_reporter": OrganisationRole.REPORTER,
    "clinic_admin": ClinicRole.ADMIN,
    "clinic_clerk": ClinicRole.CLERK,
    "team_member": ClinicRole.MEMBER,
}
ORGANISATION_ROLES = {"organisation_admin", "organisation_coordinator", "organisation_reporter"}


def _seed(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("seed_demo", "--json", *args, stdout=out)
    data: dict[str, Any] = json.loads(out.getvalue())
    return data


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _counts() -> dict[str, int]:
    return {
        "organisations": Organisation.objects.count(),
        "clinics": Clinic.objects.count(),
        "waiting areas": WaitingArea.objects.count(),
        "users": User.objects.count(),
        "organisation roles": OrganisationMembership.objects.count(),
        "clinic roles": ClinicMembership.objects.count(),
        "meeting rooms": MeetingRoom.objects.count(),
        "valid guest links": GuestLink.objects.valid().count(),
    }


def test_json_has_exactly_the_documented_shape() -> None:
    data = _seed("--base-url", "https://demo.example.test/")

    assert set(data) == {"base_url", "login_url", "organisation", "clinics", "users"}
    assert data["base_url"] == "https://demo.example.test"
    assert data["login_url"].startswith("https://demo.example.test/")
    assert set(data["organisation"]) == {"name"}
    assert isinstance(data["organisation"]["name"], str) and data["organisation"]["name"]

    assert len(data["clinics"]) == 2
    for clinic in data["clinics"]:
        assert set(clinic) == {"name", "slug", "waiting_area_url", "dashboard_url", "meeting_rooms"}
        assert Clinic.objects.filter(slug=clinic["slug"], name=clinic["name"]).exists()
        assert clinic["waiting_area_url"].startswith("https://demo.example.test/")
        assert clinic["dashboard_url"].startswith("https://demo.example.test/")
        assert clinic["meeting_rooms"], clinic["slug"]
        for room in clinic["meeting_rooms"]:
            assert set(room) == {"name", "url", "guest_url"}
            assert MeetingRoom.objects.filter(clinic__slug=clinic["slug"], name=room["name"]).exists()

    slugs = {clinic["slug"] for clinic in data["clinics"]}
    assert data["users"]
    for user in data["users"]:
        assert set(user) == {"email", "password", "role", "clinic"}
        assert user["role"] in ROLES
        if user["role"] in ORGANISATION_ROLES:
            assert user["clinic"] is None, user
        else:
            assert user["clinic"] in slugs, user
    assert {user["role"] for user in data["users"]} == set(ROLES)
    assert len({user["email"] for user in data["users"]}) == len(data["users"])


def test_each_printed_user_holds_the_printed_role_and_password() -> None:
    data = _seed()
    organisation = Organisation.objects.get(name=data["organisation"]["name"])
    for printed in data["users"]:
        user = User.objects.get(email=printed["email"])
        assert user.is_active
        assert user.password.startswith("argon2")
        assert user.check_password(printed["password"]), printed["email"]
        role = ROLES[printed["role"]]
        if printed["clinic"] is None:
            assert OrganisationMembership.objects.get(organisation=organisation, user=user).role == role
        else:
            assert ClinicMembership.objects.get(clinic__slug=printed["clinic"], user=user).role == role


def test_the_printed_user_can_log_in_through_the_login_page() -> None:
    data = _seed()
    printed = data["users"][0]
    response = client_for(None).post(
        _path(data["login_url"]), {"username": printed["email"], "password": printed["password"]}
    )
    assert response.status_code == 302
    assert not response["Location"].startswith(_path(data["login_url"]))


def test_running_twice_is_idempotent() -> None:
    first = _seed()
    counts = _counts()
    assert counts["organisations"] == 1
    assert counts["clinics"] == counts["waiting areas"] == 2

    second = _seed()

    assert _counts() == counts
    assert {c["slug"] for c in second["clinics"]} == {c["slug"] for c in first["clinics"]}
    assert second["users"] == first["users"]
    for clinic in second["clinics"]:
        for room in clinic["meeting_rooms"]:
            assert client_for(None).get(_path(room["guest_url"])).status_code == 200
    for printed in second["users"]:
        assert User.objects.get(email=printed["email"]).check_password(printed["password"])


def test_the_printed_links_open_for_the_right_people() -> None:
    data = _seed()
    users = data["users"]
    anonymous = client_for(AnonymousUser())

    assert anonymous.get(_path(data["login_url"])).status_code == 200
    for clinic in data["clinics"]:
        team_member = next(u for u in users if u["role"] == "team_member" and u["clinic"] == clinic["slug"])
        staff = client_for(User.objects.get(email=team_member["email"]))

        assert anonymous.get(_path(clinic["waiting_area_url"])).status_code == 200, clinic["slug"]
        assert staff.get(_path(clinic["dashboard_url"])).status_code == 200, clinic["slug"]
        # The dashboard is for the clinic's team, not for the public.
        assert anonymous.get(_path(clinic["dashboard_url"])).status_code == 302
        for room in clinic["meeting_rooms"]:
            assert staff.get(_path(room["url"])).status_code == 200, room["name"]
            assert anonymous.get(_path(room["guest_url"])).status_code == 200, room["name"]


def test_if_empty_leaves_a_database_of_its_own_alone() -> None:
    Organisation.objects.create(name="Real Clinic Group", slug="real")
    out = io.StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "no demo data added" in out.getvalue()
    assert Organisation.objects.count() == 1
    assert not User.objects.exists()
