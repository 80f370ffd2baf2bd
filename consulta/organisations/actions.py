"""Every change to organisations, clinics, roles and invitations passes through here.

Views validate input with forms, then call one function of this module. Each
function checks the rules that must hold whatever the caller (a clinic keeps
an admin; nobody grants a role they may not grant) and raises `ActionError`
with a message fit to show the person when a rule says no.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from consulta.accounts.models import User
from consulta.alerts.models import AlertPreference
from consulta.core.tasks import enqueue_email
from consulta.eventlog.kinds import Kind
from consulta.eventlog.log import record
from consulta.organisations.models import (
    Clinic,
    ClinicMembership,
    ClinicRole,
    Invitation,
    Organisation,
    OrganisationMembership,
    OrganisationRole,
    invitation_expiry,
)


class ActionError(Exception):
    """A rule said no; the message is written for the person who asked."""


def create_clinic(organisation: Organisation, *, name: str, slug: str, time_zone: str = "") -> Clinic:
    # Clinic.save creates the clinic's one waiting area in the same transaction.
    with transaction.atomic():
        clinic = Clinic.objects.create(organisation=organisation, name=name, slug=slug, time_zone=time_zone)
        record(Kind.CLINIC_CREATED, clinic_id=clinic.pk, data={"name": name})
        return clinic


def update_clinic(clinic: Clinic, *, name: str, time_zone: str) -> Clinic:
    with transaction.atomic():
        # Compared with the saved row, not `clinic`: a settings form has already put the new values on it.
        saved = Clinic.objects.select_for_update().only("name", "time_zone").get(pk=clinic.pk)
        changed = [f for f, value in (("name", name), ("time_zone", time_zone)) if getattr(saved, f) != value]
        clinic.name = name
        clinic.time_zone = time_zone
        clinic.save(update_fields=["name", "time_zone"])
        if changed:
            record(Kind.CLINIC_UPDATED, clinic_id=clinic.pk, data={"changed": changed})
    return clinic


def _log_invitation(kind: Kind, invitation: Invitation) -> None:
    record(
        kind,
        clinic_id=invitation.clinic_id,
        organisation_id=invitation.organisation_id,
        subject=f"invitation:{invitation.pk}",
        target_label=invitation.email,
        data={"role": invitation.clinic_role or invitation.organisation_role},
    )


def find_user(email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()


# --- Clinic team -----------------------------------------------------------------


def invite_to_clinic(
    clinic: Clinic, *, email: str, role: str, is_service_referrer: bool, invited_by: User
) -> Invitation:
    """E-mail an invitation to join the clinic's team.

    An existing account too gets an invitation to accept, never a role at once:
    nobody joins a team without their consent.
    """
    email = email.strip().lower()
    user = find_user(email)
    with transaction.atomic():
        if user is not None and ClinicMembership.objects.filter(clinic=clinic, user=user).exists():
            raise ActionError(_("%(email)s is already in this clinic's team.") % {"email": email})
        if clinic.invitations.pending().filter(email__iexact=email).exists():
            raise ActionError(_("An invitation to %(email)s is already pending. Resend it instead.") % {"email": email})
        invitation = Invitation.objects.create(
            organisation=clinic.organisation,
            clinic=clinic,
            email=email,
            clinic_role=role,
            is_service_referrer=is_service_referrer,
            invited_by=invited_by,
        )
        _log_invitation(Kind.INVITATION_SENT, invitation)
        transaction.on_commit(lambda: send_invitation(invitation))
        return invitation


def change_clinic_role(membership: ClinicMembership, *, role: str, is_service_referrer: bool) -> ClinicMembership:
    with transaction.atomic():
        if membership.role == ClinicRole.ADMIN and role != ClinicRole.ADMIN:
            _ensure_another_clinic_admin(membership)
        if (membership.role, membership.is_service_referrer) != (role, is_service_referrer):
            record(
                Kind.ROLE_CHANGED,
                clinic_id=membership.clinic_id,
                subject=f"membership:{membership.pk}",
                target=membership.user,
                data={
                    "from": membership.role,
                    "to": role,
                    "service_referrer": [membership.is_service_referrer, is_service_referrer],
                },
            )
        membership.role = role
        membership.is_service_referrer = is_service_referrer
        membership.save(update_fields=["role", "is_service_referrer"])
    return membership


def remove_from_clinic(membership: ClinicMembership) -> None:
    with transaction.atomic():
        if membership.role == ClinicRole.ADMIN:
            _ensure_another_clinic_admin(membership)
        # Their user room goes with them, closed as any disabled room is (its call ended, its
        # knocking guests turned away, logged): only its owner could use it.
        from consulta.rooms import actions as rooms  # rooms.actions imports this module

        for room in membership.clinic.user_rooms.filter(owner_id=membership.user_id):
            rooms.disable_user_room(room)
        # Their alert settings for the clinic (a phone number among them) go too.
        AlertPreference.objects.filter(clinic_id=membership.clinic_id, user_id=membership.user_id).delete()
        record(
            Kind.MEMBER_REMOVED,
            clinic_id=membership.clinic_id,
            subject=f"membership:{membership.pk}",
            target=membership.user,
            data={"role": membership.role},
        )
        membership.delete()


def _ensure_another_clinic_admin(membership: ClinicMembership) -> None:
    admins = (
        ClinicMembership.objects.select_for_update()
        .filter(clinic_id=membership.clinic_id, role=ClinicRole.ADMIN)
        .exclude(pk=membership.pk)
    )
    if not admins.exists():
        raise ActionError(_("A clinic must keep at least one clinic admin. Make someone else admin first."))


# --- Organisation roles ----------------------------------------------------------


def invite_to_organisation(organisation: Organisation, *, email: str, role: str, invited_by: User) -> Invitation:
    """E-mail an invitation to an organisation role; an existing account too accepts it first."""
    email = email.strip().lower()
    user = find_user(email)
    with transaction.atomic():
        if user is not None and OrganisationMembership.objects.filter(organisation=organisation, user=user).exists():
            raise ActionError(_("%(email)s already has a role in this organisation.") % {"email": email})
        pending = organisation.invitations.pending().filter(clinic__isnull=True, email__iexact=email)
        if pending.exists():
            raise ActionError(_("An invitation to %(email)s is already pending. Resend it instead.") % {"email": email})
        invitation = Invitation.objects.create(
            organisation=organisation, email=email, organisation_role=role, invited_by=invited_by
        )
        _log_invitation(Kind.INVITATION_SENT, invitation)
        transaction.on_commit(lambda: send_invitation(invitation))
        return invitation


def remove_from_organisation(membership: OrganisationMembership) -> None:
    with transaction.atomic():
        if membership.role == OrganisationRole.ADMIN:
            others = (
                OrganisationMembership.objects.select_for_update()
                .filter(organisation_id=membership.organisation_id, role=OrganisationRole.ADMIN)
                .exclude(pk=membership.pk)
            )
            if not others.exists():
                raise ActionError(_("An organisation must keep at least one organisation admin."))
        record(
            Kind.ORGANISATION_ROLE_REMOVED,
            organisation_id=membership.organisation_id,
            subject=f"organisation_membership:{membership.pk}",
            target=membership.user,
            data={"role": membership.role},
        )
        membership.delete()


# --- Invitations ------------------------------------------------------------------


def send_invitation(invitation: Invitation) -> None:
    place = invitation.clinic.name if invitation.clinic else invitation.organisation.name
    context = {
        "invitation": invitation,
        "place": place,
        "role": invitation.role_label,
        "url": settings.BASE_URL + reverse("accounts:invitation", args=[invitation.token]),
        "site_name": settings.SITE_NAME,
    }
    enqueue_email(  # sent by the worker, once the caller's transaction commits
        subject=_("You are invited to %(place)s on %(site)s") % {"place": place, "site": settings.SITE_NAME},
        body=render_to_string("organisations/email/invitation.txt", context),
        recipients=[invitation.email],
    )


def resend_invitation(invitation: Invitation) -> Invitation:
    """Send again, valid for another full period from now."""
    if invitation.accepted_at or invitation.withdrawn_at:
        raise ActionError(_("This invitation has already been accepted or withdrawn."))
    with transaction.atomic():
        invitation.sent_at = timezone.now()
        invitation.expires_at = invitation_expiry()
        invitation.save(update_fields=["sent_at", "expires_at"])
        _log_invitation(Kind.INVITATION_RESENT, invitation)
        transaction.on_commit(lambda: send_invitation(invitation))
    return invitation


def withdraw_invitation(invitation: Invitation) -> None:
    if invitation.accepted_at:
        raise ActionError(_("This invitation has already been accepted."))
    with transaction.atomic():
        invitation.withdrawn_at = timezone.now()
        invitation.save(update_fields=["withdrawn_at"])
        _log_invitation(Kind.INVITATION_WITHDRAWN, invitation)


def accept_invitation(invitation: Invitation, user: User) -> None:
    """Give `user` the role the invitation offers. The invitation must be pending."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not invitation.is_pending:
            raise ActionError(_("This invitation is no longer valid. Ask for a new one."))
        if invitation.clinic_id:
            ClinicMembership.objects.get_or_create(
                clinic_id=invitation.clinic_id,
                user=user,
                defaults={"role": invitation.clinic_role, "is_service_referrer": invitation.is_service_referrer},
            )
        else:
            OrganisationMembership.objects.get_or_create(
                organisation_id=invitation.organisation_id, user=user, defaults={"role": invitation.organisation_role}
            )
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        record(
            Kind.INVITATION_ACCEPTED,
            clinic_id=invitation.clinic_id,
            organisation_id=invitation.organisation_id,
            subject=f"invitation:{invitation.pk}",
            actor=user,
            target=user,
            data={"role": invitation.clinic_role or invitation.organisation_role},
        )


def create_account_from_invitation(invitation: Invitation, *, first_name: str, last_name: str, password: str) -> User:
    with transaction.atomic():
        user = User.objects.create_user(
            email=invitation.email, password=password, first_name=first_name, last_name=last_name
        )
        accept_invitation(invitation, user)
    return user
