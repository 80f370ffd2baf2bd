"""Invitations and team changes: e-mail, expiry, resend, withdraw, sign-up, and the rules that keep an admin."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from consulta.accounts.models import User
from consulta.organisations import actions
from consulta.organisations.models import (
    ClinicMembership,
    ClinicRole,
    Invitation,
    OrganisationMembership,
    OrganisationRole,
)
from consulta.testing import PASSWORD, World, client_for, run_queued_tasks

NEW_ADDRESS = "nora.newcomer@example.test"
GOOD_PASSWORD = "kettle lighthouse orbit"  # 23 characters
TWELVE_CHARS = "kettle-orbit"
ADMIN_RULE = "A clinic must keep at least one clinic admin."
ORG_ADMIN_RULE = "An organisation must keep at least one organisation admin."


def _invite_to_clinic_a(world: World, captured, email: str = NEW_ADDRESS, role: str = "member"):
    """The clinic admin invites `email` through the team page, running on-commit callbacks, then the worker."""
    with captured(execute=True):
        response = client_for(world.clinic_admin).post(
            reverse("organisations:clinic_team", args=[world.clinic_a.slug]), {"email": email, "role": role}
        )
    run_queued_tasks()
    return response


def _approx(a, b, seconds: int = 60) -> bool:
    return abs((a - b).total_seconds()) < seconds


# --- Inviting a new address ---------------------------------------------------------------


def test_invitation_to_a_new_address_is_pending_and_emailed(world: World, django_capture_on_commit_callbacks) -> None:
    response = _invite_to_clinic_a(world, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    invitation = Invitation.objects.get(email=NEW_ADDRESS)
    assert invitation.clinic == world.clinic_a
    assert invitation.clinic_role == ClinicRole.MEMBER
    assert invitation.invited_by == world.clinic_admin
    assert invitation.is_pending
    assert invitation in Invitation.objects.pending()
    assert _approx(invitation.expires_at, timezone.now() + timedelta(days=30))
    assert not User.objects.filter(email=NEW_ADDRESS).exists()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [NEW_ADDRESS]
    assert "Alder Clinic" in message.subject
    assert reverse("accounts:invitation", args=[invitation.token]) in message.body
    assert "Team member" in message.body

    team_page = client_for(world.clinic_admin).get(reverse("organisations:clinic_team", args=[world.clinic_a.slug]))
    assert NEW_ADDRESS in team_page.content.decode()  # listed among the pending invitations


def test_invitation_email_is_sent_only_after_commit(world: World, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        actions.invite_to_clinic(
            world.clinic_a, email=NEW_ADDRESS, role="member", is_service_referrer=False, invited_by=world.clinic_admin
        )
    assert mail.outbox == []  # nothing sent before the transaction commits
    assert len(callbacks) == 1
    callbacks[0]()
    assert mail.outbox == []  # queued for the worker, not sent in the request
    assert run_queued_tasks() == 1
    assert [m.to for m in mail.outbox] == [[NEW_ADDRESS]]


def test_a_second_invitation_to_a_pending_address_is_refused(world: World, django_capture_on_commit_callbacks) -> None:
    _invite_to_clinic_a(world, django_capture_on_commit_callbacks)
    response = _invite_to_clinic_a(world, django_capture_on_commit_callbacks, email=NEW_ADDRESS.upper())
    assert response.status_code == 200
    assert "already pending" in response.content.decode()
    assert Invitation.objects.filter(email=NEW_ADDRESS).count() == 1
    assert len(mail.outbox) == 1


def test_invitation_expires_after_30_days(world: World, django_capture_on_commit_callbacks) -> None:
    _invite_to_clinic_a(world, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get(email=NEW_ADDRESS)
    url = reverse("accounts:invitation", args=[invitation.token])
    now = timezone.now()

    with mock.patch("django.utils.timezone.now", return_value=now + timedelta(days=29, hours=23)):
        assert invitation.is_pending
        assert client_for(None).get(url).status_code == 200

    with mock.patch("django.utils.timezone.now", return_value=now + timedelta(days=30, minutes=5)):
        invitation.refresh_from_db()
        assert not invitation.is_pending
        assert invitation.is_expired
        assert not Invitation.objects.pending().filter(pk=invitation.pk).exists()

        page = client_for(None).get(url)
        assert page.status_code == 410
        assert "no longer valid" in page.content.decode()

        signup = client_for(None).post(
            url, {"first_name": "Nora", "last_name": "Late", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD}
        )
        assert signup.status_code == 410
    assert not User.objects.filter(email=NEW_ADDRESS).exists()
    assert not ClinicMembership.objects.filter(user__email=NEW_ADDRESS).exists()


def test_expired_invitation_cannot_be_accepted_by_an_action(world: World) -> None:
    invitation = world.clinic_invitation
    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save()
    account = User.objects.create_user(email=invitation.email, password=GOOD_PASSWORD)
    with pytest.raises(actions.ActionError, match="no longer valid"):
        actions.accept_invitation(invitation, account)
    assert not ClinicMembership.objects.filter(user=account).exists()


def test_resend_extends_expiry_and_sends_again(world: World, django_capture_on_commit_callbacks) -> None:
    invitation = world.clinic_invitation
    invitation.sent_at = timezone.now() - timedelta(days=25)
    invitation.expires_at = timezone.now() + timedelta(days=5)
    invitation.save()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.clinic_admin).post(
            reverse("organisations:clinic_invitation_resend", args=[world.clinic_a.slug, invitation.pk]), follow=True
        )

    assert response.status_code == 200
    assert "sent again" in response.content.decode()
    invitation.refresh_from_db()
    assert _approx(invitation.expires_at, timezone.now() + timedelta(days=30))
    assert _approx(invitation.sent_at, timezone.now())
    assert invitation.is_pending
    assert run_queued_tasks() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [invitation.email]
    assert invitation.token in mail.outbox[0].body  # the same link still works


def test_resend_revives_an_expired_invitation(world: World, django_capture_on_commit_callbacks) -> None:
    invitation = world.organisation_invitation
    invitation.expires_at = timezone.now() - timedelta(days=1)
    invitation.save()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(world.org_admin).post(
            reverse("organisations:organisation_invitation_resend", args=[world.organisation.slug, invitation.pk])
        )
    invitation.refresh_from_db()
    assert invitation.is_pending
    assert run_queued_tasks() == 1
    assert len(mail.outbox) == 1
    assert client_for(None).get(reverse("accounts:invitation", args=[invitation.token])).status_code == 200


def test_withdraw_makes_the_invitation_invalid(world: World, django_capture_on_commit_callbacks) -> None:
    invitation = world.clinic_invitation
    response = client_for(world.clinic_admin).post(
        reverse("organisations:clinic_invitation_withdraw", args=[world.clinic_a.slug, invitation.pk]), follow=True
    )
    assert "withdrawn" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.withdrawn_at is not None
    assert not invitation.is_pending

    url = reverse("accounts:invitation", args=[invitation.token])
    assert client_for(None).get(url).status_code == 410
    signup = client_for(None).post(
        url, {"first_name": "Ivy", "last_name": "Invited", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD}
    )
    assert signup.status_code == 410
    assert not User.objects.filter(email=invitation.email).exists()

    # A withdrawn invitation cannot be revived by resending it.
    with django_capture_on_commit_callbacks(execute=True):
        client_for(world.clinic_admin).post(
            reverse("organisations:clinic_invitation_resend", args=[world.clinic_a.slug, invitation.pk])
        )
    invitation.refresh_from_db()
    assert not invitation.is_pending
    assert run_queued_tasks() == 0
    assert mail.outbox == []


def test_unknown_invitation_token_is_404(db) -> None:
    assert client_for(None).get(reverse("accounts:invitation", args=["no-such-token"])).status_code == 404


# --- Existing accounts ----------------------------------------------------------------------


def test_an_existing_account_gets_an_invitation_not_a_role(world: World, django_capture_on_commit_callbacks) -> None:
    """Nobody joins a team without their consent: an account holder too accepts first."""
    # The outsider has an account (in another organisation); the address is typed in capitals.
    response = _invite_to_clinic_a(world, django_capture_on_commit_callbacks, email="OTTO@Other.Test")

    assert response.status_code == 302
    assert not ClinicMembership.objects.filter(clinic=world.clinic_a, user=world.outsider).exists()
    invitation = Invitation.objects.get(email="otto@other.test")
    assert (invitation.clinic, invitation.clinic_role, invitation.is_pending) == (
        world.clinic_a,
        ClinicRole.MEMBER,
        True,
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["otto@other.test"]
    assert "invited to Alder Clinic" in mail.outbox[0].subject
    url = reverse("accounts:invitation", args=[invitation.token])
    assert url in mail.outbox[0].body
    team_page = client_for(world.clinic_admin).get(reverse("organisations:clinic_team", args=[world.clinic_a.slug]))
    assert "otto@other.test" in team_page.content.decode()  # among the pending invitations
    # The clinic stays closed to them until they accept.
    clinic_home = reverse("organisations:clinic_home", args=[world.clinic_a.slug])
    outsider = client_for(world.outsider)
    assert outsider.get(clinic_home).status_code == 404

    assert "Accept the invitation" in outsider.get(url).content.decode()
    assert outsider.post(url).status_code == 302
    assert world.membership(world.outsider).role == ClinicRole.MEMBER
    assert outsider.get(clinic_home).status_code == 200
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None


def test_the_team_page_says_the_invitation_was_sent(world: World, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.clinic_admin).post(
            reverse("organisations:clinic_team", args=[world.clinic_a.slug]),
            {"email": world.outsider.email, "role": "member"},
            follow=True,
        )
    body = response.content.decode()
    assert "Invitation sent to otto@other.test." in body
    assert "has been added" not in body


def test_an_existing_account_logged_out_logs_in_and_comes_back_to_accept(
    world: World, django_capture_on_commit_callbacks
) -> None:
    _invite_to_clinic_a(world, django_capture_on_commit_callbacks, email=world.outsider.email)
    url = reverse("accounts:invitation", args=[Invitation.objects.get(email=world.outsider.email).token])
    browser = client_for(None)

    page = browser.get(url).content.decode()
    assert "You already have an account for otto@other.test." in page
    login_url = reverse("accounts:login") + "?next=" + url
    assert f'href="{login_url}"' in page
    login_page = browser.get(login_url)
    assert f'name="next" value="{url}"' in login_page.content.decode()

    logged_in = browser.post(login_url, {"username": world.outsider.email, "password": PASSWORD, "next": url})
    assert logged_in.status_code == 302
    assert logged_in["Location"] == url  # back at the invitation, not the home page
    assert not ClinicMembership.objects.filter(clinic=world.clinic_a, user=world.outsider).exists()
    assert browser.post(url).status_code == 302
    assert world.membership(world.outsider).role == ClinicRole.MEMBER


def test_an_existing_account_gets_an_invitation_to_an_organisation_role(
    world: World, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.org_admin).post(
            reverse("organisations:roles", args=[world.organisation.slug]),
            {"email": world.member.email, "role": OrganisationRole.COORDINATOR},
            follow=True,
        )
    assert response.status_code == 200
    assert f"Invitation sent to {world.member.email}." in response.content.decode()
    assert not OrganisationMembership.objects.filter(organisation=world.organisation, user=world.member).exists()
    invitation = Invitation.objects.get(email=world.member.email, clinic__isnull=True)
    assert invitation.organisation_role == OrganisationRole.COORDINATOR
    assert run_queued_tasks() == 1
    assert [m.to for m in mail.outbox] == [[world.member.email]]
    assert "invited to Acme Care" in mail.outbox[0].subject

    url = reverse("accounts:invitation", args=[invitation.token])
    assert client_for(world.member).post(url).status_code == 302
    assert world.organisation_membership(world.member).role == OrganisationRole.COORDINATOR


def test_somebody_who_already_has_an_organisation_role_is_not_invited_again(
    world: World, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.org_admin).post(
            reverse("organisations:roles", args=[world.organisation.slug]),
            {"email": world.reporter.email, "role": OrganisationRole.COORDINATOR},
        )
    assert response.status_code == 200
    assert "already has a role in this organisation" in response.content.decode()
    assert not Invitation.objects.filter(email=world.reporter.email).exists()
    assert world.organisation_membership(world.reporter).role == OrganisationRole.REPORTER


def test_adding_somebody_already_in_the_team_is_refused(world: World, django_capture_on_commit_callbacks) -> None:
    response = _invite_to_clinic_a(world, django_capture_on_commit_callbacks, email=world.clerk.email, role="admin")
    assert response.status_code == 200
    assert "already in this clinic" in response.content.decode()
    assert world.membership(world.clerk).role == ClinicRole.CLERK
    assert mail.outbox == []


# --- Signing up through the invitation ------------------------------------------------------


def test_signup_with_a_12_character_password_is_refused_and_keeps_the_names(world: World) -> None:
    invitation = world.clinic_invitation
    url = reverse("accounts:invitation", args=[invitation.token])
    assert len(TWELVE_CHARS) == 12

    response = client_for(None).post(
        url, {"first_name": "Nora", "last_name": "Newcomer", "password1": TWELVE_CHARS, "password2": TWELVE_CHARS}
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "This password is too short. It must contain at least 13 characters." in body
    assert response.context["form"].errors["password1"]
    assert 'value="Nora"' in body
    assert 'value="Newcomer"' in body
    assert TWELVE_CHARS not in body  # passwords are never echoed back
    assert not User.objects.filter(email=invitation.email).exists()
    invitation.refresh_from_db()
    assert invitation.is_pending
    assert "_auth_user_id" not in response.wsgi_request.session


def test_signup_with_differing_passwords_is_refused(world: World) -> None:
    url = reverse("accounts:invitation", args=[world.clinic_invitation.token])
    response = client_for(None).post(
        url,
        {"first_name": "Nora", "last_name": "Newcomer", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD + "!"},
    )
    assert response.status_code == 200
    assert "The two passwords differ." in response.content.decode()
    assert not User.objects.filter(email=world.clinic_invitation.email).exists()


def test_signup_with_a_good_password_creates_the_account_logs_in_and_grants_the_role(world: World) -> None:
    invitation = world.clinic_invitation
    url = reverse("accounts:invitation", args=[invitation.token])
    client = client_for(None)

    page = client.get(url)
    assert page.status_code == 200
    assert "Alder Clinic" in page.content.decode()

    response = client.post(
        url, {"first_name": "Nora", "last_name": "Newcomer", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    user = User.objects.get(email=invitation.email)
    assert (user.first_name, user.last_name) == ("Nora", "Newcomer")
    assert user.check_password(GOOD_PASSWORD)
    assert user.password.startswith("argon2")
    assert world.membership(user).role == ClinicRole.MEMBER
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None

    home = client.get(reverse("core:home"))
    assert home.status_code == 200
    assert home.wsgi_request.user == user
    assert client.get(reverse("organisations:clinic_home", args=[world.clinic_a.slug])).status_code == 200
    # The link is used up.
    assert client_for(None).get(url).status_code == 410


def test_organisation_invitation_grants_the_organisation_role(world: World) -> None:
    invitation = world.organisation_invitation
    url = reverse("accounts:invitation", args=[invitation.token])
    response = client_for(None).post(
        url, {"first_name": "Rae", "last_name": "Ports", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD}
    )
    assert response.status_code == 302
    user = User.objects.get(email=invitation.email)
    assert world.organisation_membership(user).role == OrganisationRole.REPORTER
    assert not ClinicMembership.objects.filter(user=user).exists()


def test_logged_in_invitee_accepts_with_their_account(world: World) -> None:
    invitation = world.clinic_invitation
    account = User.objects.create_user(email=invitation.email, password=GOOD_PASSWORD)
    url = reverse("accounts:invitation", args=[invitation.token])

    # Not logged in: asked to log in rather than to sign up again.
    assert "Log in with it, and you come back here" in client_for(None).get(url).content.decode()
    # Somebody else's account: refused.
    assert client_for(world.clerk).post(url).status_code == 403
    assert not ClinicMembership.objects.filter(user=account).exists()

    response = client_for(account).post(url)
    assert response.status_code == 302
    assert world.membership(account).role == ClinicRole.MEMBER


# --- Who may invite as what ---------------------------------------------------------------


def test_a_clerk_can_invite_only_as_team_member(world: World, django_capture_on_commit_callbacks) -> None:
    team_url = reverse("organisations:clinic_team", args=[world.clinic_a.slug])
    clerk = client_for(world.clerk)

    page = clerk.get(team_url)
    assert [value for value, _label in page.context["form"].fields["role"].choices] == [ClinicRole.MEMBER]
    admin_page = client_for(world.clinic_admin).get(team_url)
    assert [value for value, _label in admin_page.context["form"].fields["role"].choices] == list(ClinicRole.values)

    refused = clerk.post(team_url, {"email": NEW_ADDRESS, "role": ClinicRole.ADMIN})
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()
    refused = clerk.post(team_url, {"email": world.outsider.email, "role": ClinicRole.CLERK})
    assert refused.status_code == 200
    assert not Invitation.objects.filter(email=NEW_ADDRESS).exists()
    assert not ClinicMembership.objects.filter(user=world.outsider, clinic=world.clinic_a).exists()

    with django_capture_on_commit_callbacks(execute=True):
        accepted = clerk.post(team_url, {"email": NEW_ADDRESS, "role": ClinicRole.MEMBER, "is_service_referrer": "on"})
    assert accepted.status_code == 302
    invitation = Invitation.objects.get(email=NEW_ADDRESS)
    assert invitation.clinic_role == ClinicRole.MEMBER
    assert invitation.is_service_referrer is False  # only those who manage the team grant that
    assert run_queued_tasks() == 1
    assert len(mail.outbox) == 1


def test_a_clerk_cannot_change_roles(world: World) -> None:
    membership = world.membership(world.member)
    response = client_for(world.clerk).post(
        reverse("organisations:membership_update", args=[world.clinic_a.slug, membership.pk]),
        {f"m{membership.pk}-role": ClinicRole.ADMIN},
    )
    assert response.status_code == 403
    membership.refresh_from_db()
    assert membership.role == ClinicRole.MEMBER


def test_a_clinic_admin_changes_a_role(world: World) -> None:
    membership = world.membership(world.member)
    response = client_for(world.clinic_admin).post(
        reverse("organisations:membership_update", args=[world.clinic_a.slug, membership.pk]),
        {f"m{membership.pk}-role": ClinicRole.CLERK, f"m{membership.pk}-is_service_referrer": "on"},
        follow=True,
    )
    assert "Role of Mia Memberg saved." in response.content.decode()
    membership.refresh_from_db()
    assert (membership.role, membership.is_service_referrer) == (ClinicRole.CLERK, True)


# --- Every clinic keeps an admin; every organisation keeps an admin ----------------------------


def test_the_last_clinic_admin_cannot_be_demoted(world: World) -> None:
    membership = world.membership(world.clinic_admin)
    for who in (world.clinic_admin, world.org_admin):
        response = client_for(who).post(
            reverse("organisations:membership_update", args=[world.clinic_a.slug, membership.pk]),
            {f"m{membership.pk}-role": ClinicRole.MEMBER},
            follow=True,
        )
        assert response.status_code == 200
        assert ADMIN_RULE in response.content.decode()
        membership.refresh_from_db()
        assert membership.role == ClinicRole.ADMIN


def test_the_last_clinic_admin_cannot_be_removed(world: World) -> None:
    membership = world.membership(world.clinic_admin)
    response = client_for(world.org_admin).post(
        reverse("organisations:membership_remove", args=[world.clinic_a.slug, membership.pk]), follow=True
    )
    assert ADMIN_RULE in response.content.decode()
    assert ClinicMembership.objects.filter(pk=membership.pk, role=ClinicRole.ADMIN).exists()


def test_a_clinic_admin_can_step_down_once_another_admin_exists(world: World) -> None:
    clerk_membership = world.membership(world.clerk)
    clerk_membership.role = ClinicRole.ADMIN
    clerk_membership.save()
    membership = world.membership(world.clinic_admin)

    client_for(world.clinic_admin).post(
        reverse("organisations:membership_update", args=[world.clinic_a.slug, membership.pk]),
        {f"m{membership.pk}-role": ClinicRole.MEMBER},
    )
    membership.refresh_from_db()
    assert membership.role == ClinicRole.MEMBER
    # Now the former clerk is the last admin, and keeps the post.
    response = client_for(world.clerk).post(
        reverse("organisations:membership_remove", args=[world.clinic_a.slug, clerk_membership.pk]), follow=True
    )
    assert ADMIN_RULE in response.content.decode()
    assert ClinicMembership.objects.filter(pk=clerk_membership.pk).exists()


def test_the_last_organisation_admin_cannot_be_removed(world: World) -> None:
    membership = world.organisation_membership(world.org_admin)
    response = client_for(world.org_admin).post(
        reverse("organisations:role_remove", args=[world.organisation.slug, membership.pk]), follow=True
    )
    assert response.status_code == 200
    assert ORG_ADMIN_RULE in response.content.decode()
    assert OrganisationMembership.objects.filter(pk=membership.pk, role=OrganisationRole.ADMIN).exists()


def test_an_organisation_admin_can_be_removed_while_another_remains(world: World) -> None:
    second = OrganisationMembership.objects.create(
        organisation=world.organisation, user=world.clinic_admin, role=OrganisationRole.ADMIN
    )
    membership = world.organisation_membership(world.org_admin)
    response = client_for(world.clinic_admin).post(
        reverse("organisations:role_remove", args=[world.organisation.slug, membership.pk]), follow=True
    )
    assert "no longer has an organisation role" in response.content.decode()
    assert not OrganisationMembership.objects.filter(pk=membership.pk).exists()
    assert OrganisationMembership.objects.filter(pk=second.pk).exists()


def test_a_coordinator_cannot_remove_an_organisation_admin(world: World) -> None:
    membership = world.organisation_membership(world.org_admin)
    response = client_for(world.coordinator).post(
        reverse("organisations:role_remove", args=[world.organisation.slug, membership.pk])
    )
    # The admin's membership is outside the roles a coordinator manages: not found among them.
    assert response.status_code == 404
    assert OrganisationMembership.objects.filter(pk=membership.pk).exists()


def test_a_coordinator_cannot_invite_an_organisation_admin(world: World) -> None:
    url = reverse("organisations:roles", args=[world.organisation.slug])
    page = client_for(world.coordinator).get(url)
    assert [value for value, _label in page.context["form"].fields["role"].choices] == [
        OrganisationRole.COORDINATOR,
        OrganisationRole.REPORTER,
    ]
    response = client_for(world.coordinator).post(url, {"email": NEW_ADDRESS, "role": OrganisationRole.ADMIN})
    assert response.status_code == 200
    assert not Invitation.objects.filter(email=NEW_ADDRESS).exists()
