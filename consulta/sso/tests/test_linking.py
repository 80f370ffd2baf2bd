"""The linking rules of consulta/sso/linking.py, branch by branch, and carrying them out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from consulta.accounts.models import User
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.organisations.models import ClinicMembership, ClinicRole, Invitation, OrganisationMembership
from consulta.sso import actions, linking
from consulta.sso.models import ExternalIdentity, IdentityProvider
from consulta.testing import World, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(world: World) -> IdentityProvider:
    return IdentityProvider.objects.create(
        organisation=world.organisation,
        display_name="Acme ID",
        issuer="https://id.acme.test",
        client_id="consulta",
        client_secret="secret",
        allowed_domains=["acme.test"],
    )


def claims(**changes: Any) -> dict[str, Any]:
    base = {"sub": "s-1", "email": "Mia@Acme.test", "email_verified": True, "given_name": "Mia", "family_name": "M"}
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


# --- read_claims: pure ----------------------------------------------------------------------


def test_the_claims_are_read_with_the_configured_names(provider: IdentityProvider) -> None:
    provider.email_claim, provider.given_name_claim, provider.family_name_claim = "mail", "first", "last"
    read = linking.read_claims(provider, {"sub": "s-1", "mail": " A@ACME.test ", "email_verified": True,
                                          "first": "Ann", "last": "Alder"})  # fmt: skip
    assert read == linking.Claims(subject="s-1", email="a@acme.test", given_name="Ann", family_name="Alder")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"sub": None}, "no_subject"),
        ({"sub": ""}, "no_subject"),
        ({"email": None}, "no_email"),
        ({"email": "not-an-address"}, "no_email"),
        ({"email": 42}, "no_email"),
        ({"email_verified": None}, "unverified_email"),
        ({"email_verified": False}, "unverified_email"),
        ({"email_verified": "false"}, "unverified_email"),
        ({"email": "mia@elsewhere.test"}, "domain_not_allowed"),
        ({"email": "mia@sub.acme.test"}, "domain_not_allowed"),  # a subdomain is another domain
    ],
)
def test_claims_that_refuse(provider: IdentityProvider, changes: dict[str, Any], reason: str) -> None:
    assert linking.read_claims(provider, claims(**changes)) == reason


def test_a_string_true_counts_as_verified(provider: IdentityProvider) -> None:
    assert isinstance(linking.read_claims(provider, claims(email_verified="true")), linking.Claims)


def test_a_provider_may_be_trusted_without_email_verified(provider: IdentityProvider) -> None:
    provider.trust_unverified_email = True
    assert isinstance(linking.read_claims(provider, claims(email_verified=None)), linking.Claims)


def test_missing_names_are_empty(provider: IdentityProvider) -> None:
    read = linking.read_claims(provider, claims(given_name=None, family_name=["odd"]))
    assert isinstance(read, linking.Claims) and (read.given_name, read.family_name) == ("", "")


# --- decide ----------------------------------------------------------------------------------


def decide(provider: IdentityProvider, **changes: Any) -> linking.Decision:
    read = linking.read_claims(provider, claims(**changes))
    assert isinstance(read, linking.Claims), read
    return linking.decide(provider, read)


def test_a_known_subject_is_its_account_whatever_the_address(world: World, provider: IdentityProvider) -> None:
    ExternalIdentity.objects.create(provider=provider, user=world.clerk, subject="s-1")
    decision = decide(provider, email="mia@acme.test")
    assert (decision.outcome, decision.user) == ("known", world.clerk)


def test_a_known_subject_of_an_inactive_account_is_refused(world: World, provider: IdentityProvider) -> None:
    ExternalIdentity.objects.create(provider=provider, user=world.clerk, subject="s-1")
    User.objects.filter(pk=world.clerk.pk).update(is_active=False)
    assert decide(provider).reason == "inactive"


def test_the_same_subject_at_another_provider_is_not_known(world: World, provider: IdentityProvider) -> None:
    other = IdentityProvider.objects.create(
        organisation=world.other_organisation, display_name="Other", issuer="https://o.test", client_id="c",
        allowed_domains=["other.test"],
    )  # fmt: skip
    ExternalIdentity.objects.create(provider=other, user=world.outsider, subject="s-1")
    decision = decide(provider)  # mia@acme.test, a clinic member here
    assert (decision.outcome, decision.user) == ("link", world.member)


def test_an_account_with_a_clinic_role_here_is_linked(world: World, provider: IdentityProvider) -> None:
    decision = decide(provider, email="mia@acme.test")
    assert (decision.outcome, decision.user, decision.invitations) == ("link", world.member, [])


def test_an_account_with_an_organisation_role_here_is_linked(world: World, provider: IdentityProvider) -> None:
    decision = decide(provider, email="ada@acme.test")
    assert (decision.outcome, decision.user) == ("link", world.org_admin)


def test_an_account_with_only_an_invitation_here_is_linked_with_it(world: World, provider: IdentityProvider) -> None:
    invited = make_user("invited.member@acme.test")
    decision = decide(provider, email="invited.member@acme.test")
    assert (decision.outcome, decision.user, decision.invitations) == ("link", invited, [world.clinic_invitation])


def test_an_account_of_another_organisation_only_is_refused(world: World, provider: IdentityProvider) -> None:
    olga = make_user("olga@acme.test")
    OrganisationMembership.objects.create(organisation=world.other_organisation, user=olga, role="admin")
    Invitation.objects.create(
        organisation=world.other_organisation, email="olga@acme.test", organisation_role="reporter"
    )  # an invitation of the OTHER organisation does not count here
    assert decide(provider, email="olga@acme.test").reason == "no_role"


def test_an_inactive_account_with_a_role_is_refused(world: World, provider: IdentityProvider) -> None:
    User.objects.filter(pk=world.member.pk).update(is_active=False)
    assert decide(provider, email="mia@acme.test").reason == "inactive"


def test_no_account_but_an_invitation_makes_one(world: World, provider: IdentityProvider) -> None:
    decision = decide(provider, email="invited.member@acme.test")
    assert (decision.outcome, decision.user, decision.invitations) == ("create", None, [world.clinic_invitation])


def test_expired_and_withdrawn_invitations_do_not_count(world: World, provider: IdentityProvider) -> None:
    Invitation.objects.filter(pk=world.clinic_invitation.pk).update(expires_at=timezone.now() - timedelta(days=1))
    Invitation.objects.filter(pk=world.organisation_invitation.pk).update(withdrawn_at=timezone.now())
    assert decide(provider, email="invited.member@acme.test").reason == "no_role"
    assert decide(provider, email="invited.reporter@acme.test").reason == "no_role"


def test_no_account_and_no_invitation_is_refused(provider: IdentityProvider) -> None:
    assert decide(provider, email="nobody@acme.test").reason == "no_role"


# --- carry_out -------------------------------------------------------------------------------


def test_creating_accepts_every_pending_invitation_here(world: World, provider: IdentityProvider) -> None:
    second = Invitation.objects.create(
        organisation=world.organisation, email="invited.member@acme.test", organisation_role="reporter"
    )
    user = actions.carry_out(provider, decide(provider, email="invited.member@acme.test", sub="s-new"))
    assert user.email == "invited.member@acme.test" and not user.has_usable_password()
    assert ClinicMembership.objects.get(user=user, clinic=world.clinic_a).role == ClinicRole.MEMBER
    assert OrganisationMembership.objects.get(user=user, organisation=world.organisation).role == "reporter"
    second.refresh_from_db()
    assert second.accepted_at is not None
    assert ExternalIdentity.objects.get(user=user).subject == "s-new"
    linked = Event.objects.get(kind=Kind.SSO_LINKED)
    assert linked.actor == user and linked.data == {"created_account": True, "provider": "Acme ID"}


def test_linking_an_account_writes_its_event(world: World, provider: IdentityProvider) -> None:
    user = actions.carry_out(provider, decide(provider, email="mia@acme.test"))
    assert user == world.member
    assert Event.objects.get(kind=Kind.SSO_LINKED).data["created_account"] is False


def test_a_known_subject_notes_its_use_and_logs_nothing(world: World, provider: IdentityProvider) -> None:
    identity = ExternalIdentity.objects.create(provider=provider, user=world.member, subject="s-1")
    assert actions.carry_out(provider, decide(provider)) == world.member
    identity.refresh_from_db()
    assert identity.last_used_at is not None
    assert not Event.objects.filter(kind=Kind.SSO_LINKED).exists()
