"""Management pages: clinics, clinic settings, the people summary, meeting rooms, guest links, user rooms."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from consulta.organisations.models import Clinic, ClinicMembership, ClinicRole
from consulta.rooms.models import GuestLink, MeetingRoom, UserRoom, WaitingArea
from consulta.testing import World, client_for


def _close_to(moment, expected, seconds: int = 60) -> bool:
    return abs((moment - expected).total_seconds()) < seconds


# --- Clinics ------------------------------------------------------------------------------


def test_organisation_admin_creates_a_clinic_with_its_waiting_area(world: World) -> None:
    url = reverse("organisations:clinic_create", args=[world.organisation.slug])
    response = client_for(world.org_admin).post(
        url, {"name": "Cedar Clinic", "slug": "Cedar-North", "time_zone": "Europe/Helsinki"}, follow=True
    )

    clinic = Clinic.objects.get(slug="cedar-north")  # slugs are stored in lower case
    assert response.redirect_chain == [(reverse("organisations:clinic_home", args=["cedar-north"]), 302)]
    assert "Clinic “Cedar Clinic” created, with its waiting area." in response.content.decode()
    assert clinic.organisation == world.organisation
    assert clinic.effective_time_zone == "Europe/Helsinki"
    assert WaitingArea.objects.filter(clinic=clinic).count() == 1


def test_coordinator_creates_a_clinic_that_follows_the_organisation_time_zone(world: World) -> None:
    url = reverse("organisations:clinic_create", args=[world.organisation.slug])
    response = client_for(world.coordinator).post(url, {"name": "Cedar Clinic", "slug": "cedar", "time_zone": ""})
    assert response.status_code == 302
    clinic = Clinic.objects.get(slug="cedar")
    assert clinic.time_zone == ""
    assert clinic.effective_time_zone == world.organisation.time_zone
    assert clinic.waiting_area.pk


def test_duplicate_clinic_slug_is_refused_and_the_typed_name_kept(world: World) -> None:
    url = reverse("organisations:clinic_create", args=[world.organisation.slug])
    before = Clinic.objects.count()
    response = client_for(world.org_admin).post(url, {"name": "Fresh Clinic", "slug": "ALDER", "time_zone": ""})

    assert response.status_code == 200
    assert response.context["form"].errors["slug"] == ["Clinic with this Short name already exists."]
    body = response.content.decode()
    assert "Clinic with this Short name already exists." in body
    assert 'value="Fresh Clinic"' in body
    assert Clinic.objects.count() == before


def test_duplicate_clinic_name_in_the_organisation_is_refused_with_a_message(world: World) -> None:
    """It used to fail with an IntegrityError (500): the constraint involves the organisation, not a form field."""
    url = reverse("organisations:clinic_create", args=[world.organisation.slug])
    before = Clinic.objects.count()
    response = client_for(world.org_admin).post(url, {"name": "Alder Clinic", "slug": "alder-two", "time_zone": ""})

    assert response.status_code == 200
    assert "This organisation already has a clinic with this name." in response.content.decode()
    assert 'value="alder-two"' in response.content.decode()
    assert Clinic.objects.count() == before


def test_the_same_clinic_name_is_fine_in_another_organisation(world: World) -> None:
    url = reverse("organisations:clinic_create", args=[world.other_organisation.slug])
    response = client_for(world.outsider).post(url, {"name": "Alder Clinic", "slug": "alder-oslo", "time_zone": ""})
    assert response.status_code == 302
    assert Clinic.objects.get(slug="alder-oslo").organisation == world.other_organisation


def test_unknown_time_zone_is_refused(world: World) -> None:
    url = reverse("organisations:clinic_create", args=[world.organisation.slug])
    response = client_for(world.org_admin).post(url, {"name": "Cedar", "slug": "cedar", "time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    assert response.context["form"].errors["time_zone"]
    assert not Clinic.objects.filter(slug="cedar").exists()


def test_clinic_settings_save(world: World) -> None:
    url = reverse("organisations:clinic_settings", args=[world.clinic_a.slug])
    client = client_for(world.clinic_admin)

    page = client.get(url)
    assert page.status_code == 200
    assert 'value="Alder Clinic"' in page.content.decode()

    response = client.post(
        url, {"name": "Alder Health Centre", "time_zone": "Europe/Oslo", "slug": "hijacked"}, follow=True
    )
    assert response.redirect_chain == [(url, 302)]
    assert "Clinic settings saved." in response.content.decode()
    clinic = Clinic.objects.get(pk=world.clinic_a.pk)
    assert clinic.name == "Alder Health Centre"
    assert clinic.time_zone == "Europe/Oslo"
    assert clinic.slug == "alder"  # fixed: links already handed out keep working


def test_clinic_settings_refuse_another_clinics_name(world: World) -> None:
    url = reverse("organisations:clinic_settings", args=[world.clinic_a.slug])
    response = client_for(world.org_admin).post(url, {"name": "Birch Clinic", "time_zone": ""})
    assert response.status_code == 200
    assert "This organisation already has a clinic with this name." in response.content.decode()
    assert Clinic.objects.get(pk=world.clinic_a.pk).name == "Alder Clinic"


# --- People summary --------------------------------------------------------------------------


def test_people_summary_lists_everyone_with_their_roles_and_count(world: World) -> None:
    # The member also works in the outsider's organisation: that role is not ours to show.
    ClinicMembership.objects.create(clinic=world.other_clinic, user=world.member, role=ClinicRole.ADMIN)
    response = client_for(world.org_admin).get(reverse("organisations:people", args=[world.organisation.slug]))

    assert response.status_code == 200
    body = response.content.decode()
    assert "6 people in all." in body
    listed = {person.email for person in response.context["people"]}
    insiders = [world.org_admin, world.coordinator, world.reporter, world.clinic_admin, world.clerk, world.member]
    assert listed == {person.email for person in insiders}
    for person in insiders:
        assert person.email in body
        assert person.get_full_name() in body
    dash = "\N{EN DASH}"
    assert f"Clinic admin {dash} Alder Clinic" in body
    assert f"Clinic clerk {dash} Alder Clinic" in body
    assert f"Team member {dash} Alder Clinic" in body
    assert "Organisation coordinator" in body
    assert world.outsider.email not in body
    assert "Otto" not in body
    assert "Oak Clinic" not in body


def test_people_summary_search_by_name_and_email(world: World) -> None:
    url = reverse("organisations:people", args=[world.organisation.slug])
    client = client_for(world.org_admin)

    by_name = client.get(url, {"q": "clerks"})  # "Clem Clerkson"
    assert [p.email for p in by_name.context["people"]] == [world.clerk.email]
    assert "1 match." in by_name.content.decode()
    assert "6 people in all." in by_name.content.decode()  # the total stays the organisation's

    by_email = client.get(url, {"q": "REX@acme"})
    assert [p.email for p in by_email.context["people"]] == [world.reporter.email]

    outsider = client.get(url, {"q": "otto"})
    assert list(outsider.context["people"]) == []
    assert "Nobody matches." in outsider.content.decode()


# --- Meeting rooms ---------------------------------------------------------------------------


def test_meeting_room_create(world: World) -> None:
    url = reverse("rooms:manage", args=[world.clinic_a.slug])
    response = client_for(world.clinic_admin).post(url, {"name": "  Quiet room  "}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    room = MeetingRoom.objects.get(clinic=world.clinic_a, name="Quiet room")
    assert room.created_by == world.clinic_admin
    assert "Meeting room “Quiet room” created." in response.content.decode()
    # Its link opens for the team.
    assert client_for(world.member).get(reverse("rooms:meeting_room", args=[room.token])).status_code == 200


def test_meeting_room_duplicate_name_is_refused_and_typed_value_kept(world: World) -> None:
    url = reverse("rooms:manage", args=[world.clinic_a.slug])
    response = client_for(world.clinic_admin).post(url, {"name": "Consulting room"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "This clinic already has a meeting room with that name." in body
    assert 'value="Consulting room"' in body
    assert MeetingRoom.objects.filter(clinic=world.clinic_a).count() == 1


def test_meeting_room_rename(world: World) -> None:
    room = world.meeting_room
    url = reverse("rooms:edit", args=[world.clinic_a.slug, room.pk])
    response = client_for(world.org_admin).post(url, {"name": "Large consulting room"}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert "Room renamed." in response.content.decode()
    room.refresh_from_db()
    assert room.name == "Large consulting room"


def test_meeting_room_rename_to_a_taken_name_is_refused_and_typed_value_kept(world: World) -> None:
    other = MeetingRoom.objects.create(clinic=world.clinic_a, name="Side room")
    response = client_for(world.clinic_admin).post(
        reverse("rooms:edit", args=[world.clinic_a.slug, other.pk]), {"name": "Consulting room"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "This clinic already has a meeting room with that name." in body
    assert 'value="Consulting room"' in body  # what was typed, to correct it
    assert "<h1>Side room</h1>" in body  # the heading still shows the room's real name
    other.refresh_from_db()
    assert other.name == "Side room"


def test_meeting_room_delete(world: World) -> None:
    room = world.meeting_room
    url = reverse("rooms:delete", args=[world.clinic_a.slug, room.pk])
    client = client_for(world.clinic_admin)

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert MeetingRoom.objects.filter(pk=room.pk).exists()  # a GET changes nothing

    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("rooms:manage", args=[world.clinic_a.slug])
    assert not MeetingRoom.objects.filter(pk=room.pk).exists()
    assert not GuestLink.objects.filter(pk=world.guest_link.pk).exists()
    assert client_for(world.member).get(reverse("rooms:meeting_room", args=[room.token])).status_code == 404
    assert client_for(None).get(reverse("rooms:guest", args=[world.guest_link.token])).status_code == 404


def test_a_room_of_another_clinic_is_not_found_through_this_clinic(world: World) -> None:
    birch_room = MeetingRoom.objects.create(clinic=world.clinic_b, name="Birch room")
    client = client_for(world.org_admin)  # may configure both clinics
    assert client.get(reverse("rooms:edit", args=[world.clinic_b.slug, birch_room.pk])).status_code == 200
    assert client.get(reverse("rooms:edit", args=[world.clinic_a.slug, birch_room.pk])).status_code == 404
    response = client.post(reverse("rooms:delete", args=[world.clinic_a.slug, birch_room.pk]))
    assert response.status_code == 404
    assert MeetingRoom.objects.filter(pk=birch_room.pk).exists()


# --- Guest links -------------------------------------------------------------------------------


def test_guest_link_create(world: World) -> None:
    room = world.meeting_room
    response = client_for(world.clinic_admin).post(
        reverse("rooms:guest_link_create", args=[world.clinic_a.slug, room.pk]),
        {"label": "Dr Visitor", "valid_days": "7"},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("rooms:edit", args=[world.clinic_a.slug, room.pk]), 302)]
    link = GuestLink.objects.get(meeting_room=room, label="Dr Visitor")
    assert link.created_by == world.clinic_admin
    assert _close_to(link.expires_at, timezone.now() + timedelta(days=7))
    assert reverse("rooms:guest", args=[link.token]) in response.content.decode()

    guest_page = client_for(None).get(reverse("rooms:guest", args=[link.token]))
    assert guest_page.status_code == 200
    assert "Consulting room" in guest_page.content.decode()


def test_guest_link_with_an_unlisted_validity_is_refused(world: World) -> None:
    before = GuestLink.objects.count()
    response = client_for(world.clinic_admin).post(
        reverse("rooms:guest_link_create", args=[world.clinic_a.slug, world.meeting_room.pk]),
        {"label": "Forever", "valid_days": "3650"},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert GuestLink.objects.count() == before


def test_guest_link_revoke(world: World) -> None:
    link = world.guest_link
    guest_url = reverse("rooms:guest", args=[link.token])
    assert client_for(None).get(guest_url).status_code == 200

    response = client_for(world.clinic_admin).post(
        reverse("rooms:guest_link_revoke", args=[world.clinic_a.slug, world.meeting_room.pk, link.pk]), follow=True
    )
    assert "Guest link revoked" in response.content.decode()
    assert link.token not in response.content.decode()  # no longer listed
    link.refresh_from_db()
    assert link.revoked_at is not None
    revoked = client_for(None).get(guest_url)
    assert revoked.status_code == 404
    assert "Alder Clinic" not in revoked.content.decode()


def test_expired_guest_link_is_404(world: World) -> None:
    link = world.guest_link
    link.expires_at = timezone.now() - timedelta(seconds=1)
    link.save()
    response = client_for(None).get(reverse("rooms:guest", args=[link.token]))
    assert response.status_code == 404
    assert "Consulting room" not in response.content.decode()


def test_a_guest_link_of_another_room_cannot_be_revoked_through_this_room(world: World) -> None:
    side_room = MeetingRoom.objects.create(clinic=world.clinic_a, name="Side room")
    response = client_for(world.clinic_admin).post(
        reverse("rooms:guest_link_revoke", args=[world.clinic_a.slug, side_room.pk, world.guest_link.pk])
    )
    assert response.status_code == 404
    world.guest_link.refresh_from_db()
    assert world.guest_link.revoked_at is None


# --- User rooms --------------------------------------------------------------------------------


def test_user_room_enable_and_disable_from_the_team_page(world: World) -> None:
    membership = world.membership(world.clerk)
    toggle = reverse("rooms:user_room_toggle", args=[world.clinic_a.slug, membership.pk])
    team_url = reverse("organisations:clinic_team", args=[world.clinic_a.slug])
    admin = client_for(world.clinic_admin)
    assert toggle in admin.get(team_url).content.decode()  # the team page offers the button

    enabled = admin.post(toggle, follow=True)
    assert enabled.redirect_chain == [(team_url, 302)]
    assert "Clem Clerkson now has a user room." in enabled.content.decode()
    room = UserRoom.objects.get(clinic=world.clinic_a, owner=world.clerk)
    assert room.enabled_by == world.clinic_admin
    clerk = client_for(world.clerk)
    room_url = reverse("rooms:user_room", args=[room.token])
    assert room_url in clerk.get(reverse("organisations:clinic_home", args=[world.clinic_a.slug])).content.decode()
    assert clerk.get(room_url).status_code == 200

    disabled = admin.post(toggle, follow=True)
    assert "The user room of Clem Clerkson has been removed." in disabled.content.decode()
    assert not UserRoom.objects.filter(clinic=world.clinic_a, owner=world.clerk).exists()
    assert clerk.get(room_url).status_code == 404


def test_only_the_owner_opens_their_user_room(world: World) -> None:
    url = reverse("rooms:user_room", args=[world.user_room.token])
    owner_page = client_for(world.member).get(url)
    assert owner_page.status_code == 200
    assert "User room of Mia Memberg" in owner_page.content.decode()
    for other in (world.org_admin, world.coordinator, world.clinic_admin, world.clerk, world.outsider):
        response = client_for(other).get(url)
        assert response.status_code == 404, other
        assert "Mia Memberg" not in response.content.decode()


def test_owner_creates_and_revokes_guest_links_for_their_user_room(world: World) -> None:
    room_url = reverse("rooms:user_room", args=[world.user_room.token])
    owner = client_for(world.member)
    response = owner.post(room_url, {"label": "My patient's interpreter", "valid_days": "1"})
    assert response.status_code == 302
    link = GuestLink.objects.get(user_room=world.user_room, label="My patient's interpreter")
    assert _close_to(link.expires_at, timezone.now() + timedelta(days=1))
    assert client_for(None).get(reverse("rooms:guest", args=[link.token])).status_code == 200

    owner.post(reverse("rooms:user_room_guest_link_revoke", args=[world.user_room.token, link.pk]))
    assert client_for(None).get(reverse("rooms:guest", args=[link.token])).status_code == 404


def test_removing_a_member_deletes_their_user_room(world: World) -> None:
    membership = world.membership(world.member)
    room = world.user_room
    response = client_for(world.clinic_admin).post(
        reverse("organisations:membership_remove", args=[world.clinic_a.slug, membership.pk]), follow=True
    )
    assert "Mia Memberg has left the clinic&#x27;s team." in response.content.decode()
    assert not ClinicMembership.objects.filter(pk=membership.pk).exists()
    assert not UserRoom.objects.filter(pk=room.pk).exists()
    # Its guest links went with it, and the former member is a stranger to the clinic now.
    assert client_for(None).get(reverse("rooms:guest", args=[world.user_room_guest_link.token])).status_code == 404
    former = client_for(world.member)
    assert former.get(reverse("rooms:user_room", args=[room.token])).status_code == 404
    assert former.get(reverse("organisations:clinic_home", args=[world.clinic_a.slug])).status_code == 404
