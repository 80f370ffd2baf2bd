"""The one way views and consumers load an organisation, clinic or room for a person.

Rules, from docs/roles.md (itself from the product's domain description):

- Somebody with no role in an organisation or clinic gets 404: its existence
  is not revealed.
- Somebody who can see a thing but may not do what they asked gets 403
  (a reporter opening a clinic, a team member opening the clinic settings).

Never load a clinic or room with a bare `objects.get` in a view: go through
here, so the check cannot be forgotten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module
from types import SimpleNamespace
from typing import Any, Literal

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from consulta.accounts.models import User
from consulta.consultations.models import CallInvite, Consultation, PrefillLink
from consulta.organisations.models import (
    Clinic,
    ClinicMembership,
    ClinicRole,
    Organisation,
    OrganisationMembership,
    OrganisationRole,
)
from consulta.rooms.models import GuestLink, MeetingRoom, UserRoom

AnyUser = User | AnonymousUser

# The browser session's open waiting-area consultations: clinic id -> the patient's token.
PATIENT_SESSION_KEY = "consultations"

# What a person may do in an organisation or clinic: the names of the properties below, so
# that a misspelt capability fails mypy rather than a request.
OrganisationCapability = Literal[
    "can_see_organisation",
    "can_create_clinics",
    "can_see_people",
    "can_manage_roles",
    "can_see_reports",
    "can_see_audit",
    "can_manage_integrations",
]
ClinicCapability = Literal[
    "can_enter",
    "can_use_meeting_rooms",
    "can_configure",
    "can_manage_team",
    "can_add_team_members",
    "can_transfer_callers",
    "can_see_reports",
    "can_see_audit",
]


@dataclass(frozen=True)
class OrganisationAccess:
    organisation: Organisation
    role: str | None  # an OrganisationRole, or None for clinic-only people

    @property
    def is_admin(self) -> bool:
        return self.role == OrganisationRole.ADMIN

    @property
    def can_see_organisation(self) -> bool:
        return self.role is not None

    @property
    def can_create_clinics(self) -> bool:
        return self.role in (OrganisationRole.ADMIN, OrganisationRole.COORDINATOR)

    @property
    def can_see_people(self) -> bool:
        return self.role == OrganisationRole.ADMIN

    @property
    def can_see_reports(self) -> bool:
        """The organisation's reports, for all its clinics."""
        return self.role is not None

    @property
    def can_see_audit(self) -> bool:
        """The whole organisation's audit trail."""
        return self.role == OrganisationRole.ADMIN

    @property
    def can_manage_integrations(self) -> bool:
        """Sign-in settings (single sign-on, two-factor), API keys and webhooks."""
        return self.role == OrganisationRole.ADMIN

    @property
    def assignable_roles(self) -> list[str]:
        """Organisation roles this person may grant and take away."""
        if self.role == OrganisationRole.ADMIN:
            return [OrganisationRole.ADMIN, OrganisationRole.COORDINATOR, OrganisationRole.REPORTER]
        if self.role == OrganisationRole.COORDINATOR:
            return [OrganisationRole.COORDINATOR, OrganisationRole.REPORTER]
        return []

    @property
    def can_manage_roles(self) -> bool:
        return bool(self.assignable_roles)

    def require(self, capability: OrganisationCapability) -> OrganisationAccess:
        if not getattr(self, capability):
            raise PermissionDenied
        return self


@dataclass(frozen=True)
class ClinicAccess:
    clinic: Clinic
    clinic_role: str | None  # a ClinicRole, or None
    organisation_role: str | None  # an OrganisationRole, or None
    is_service_referrer: bool = False

    @property
    def is_team_member(self) -> bool:
        return self.clinic_role is not None

    @property
    def can_enter(self) -> bool:
        """Open the clinic, use its waiting area, join calls."""
        return self.is_team_member or self.organisation_role in (
            OrganisationRole.ADMIN,
            OrganisationRole.COORDINATOR,
        )

    @property
    def can_use_meeting_rooms(self) -> bool:
        return self.is_team_member or self.organisation_role == OrganisationRole.ADMIN

    @property
    def can_configure(self) -> bool:
        """Clinic settings, meeting rooms and guest links."""
        return self.clinic_role == ClinicRole.ADMIN or self.organisation_role in (
            OrganisationRole.ADMIN,
            OrganisationRole.COORDINATOR,
        )

    @property
    def can_manage_team(self) -> bool:
        """Change roles, remove people, enable user rooms."""
        return self.clinic_role == ClinicRole.ADMIN or self.organisation_role == OrganisationRole.ADMIN

    @property
    def can_add_team_members(self) -> bool:
        return self.can_manage_team or self.clinic_role == ClinicRole.CLERK

    @property
    def invitable_roles(self) -> list[str]:
        if self.can_manage_team:
            return list(ClinicRole.values)
        if self.clinic_role == ClinicRole.CLERK:
            return [ClinicRole.MEMBER]
        return []

    @property
    def can_transfer_callers(self) -> bool:
        return self.can_enter or self.is_service_referrer

    @property
    def can_see_reports(self) -> bool:
        """This clinic's reports: its admin, and every organisation role (reporters included)."""
        return self.clinic_role == ClinicRole.ADMIN or self.organisation_role is not None

    @property
    def can_see_audit(self) -> bool:
        """This clinic's audit trail: its admin and the organisation's admins."""
        return self.clinic_role == ClinicRole.ADMIN or self.organisation_role == OrganisationRole.ADMIN

    def require(self, capability: ClinicCapability) -> ClinicAccess:
        if not getattr(self, capability):
            raise PermissionDenied
        return self


def _person(user: AnyUser) -> User | None:
    if not user.is_authenticated or not user.is_active:
        return None
    assert isinstance(user, User)
    return user


def session_person(session_key: str | None, user_id: int | None) -> AnyUser:
    """The account a browser session is logged in as NOW, read afresh from the database.

    A socket's scope holds the user as they were when it connected. Logout (the session is
    deleted), a password change elsewhere (the session's hash no longer matches), a
    deactivated account or a session past its age all end here in an anonymous user, so a
    socket that asks again loses what the person no longer may see. `user_id` is the account
    the socket connected as: a session that now belongs to someone else counts as ended.
    """
    if not session_key or user_id is None:
        return AnonymousUser()
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    user = auth.get_user(SimpleNamespace(session=store))  # type: ignore[arg-type]
    if not user.is_authenticated or user.pk != user_id or not user.is_active:
        return AnonymousUser()
    return user


def organisation_access(user: AnyUser, slug: str) -> OrganisationAccess:
    """404 unless the person has a role in the organisation or one of its clinics."""
    person = _person(user)
    if person is None:
        raise Http404
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise Http404
    membership = OrganisationMembership.objects.filter(organisation=organisation, user=person).first()
    if membership is None:
        if not ClinicMembership.objects.filter(clinic__organisation=organisation, user=person).exists():
            raise Http404
        return OrganisationAccess(organisation, None)
    return OrganisationAccess(organisation, membership.role)


def clinic_access(user: AnyUser, slug: str, capability: ClinicCapability | None = "can_enter") -> ClinicAccess:
    """The person's standing in a clinic: 404 if they have none, 403 if it lacks `capability`."""
    person = _person(user)
    if person is None:
        raise Http404
    clinic = Clinic.objects.select_related("organisation").filter(slug=slug).first()
    if clinic is None:
        raise Http404
    access = _clinic_access(person, clinic)
    if access is None:
        raise Http404
    if capability:
        access.require(capability)
    return access


def _clinic_access(person: User, clinic: Clinic) -> ClinicAccess | None:
    membership = ClinicMembership.objects.filter(clinic=clinic, user=person).first()
    org_membership = OrganisationMembership.objects.filter(organisation_id=clinic.organisation_id, user=person).first()
    if membership is None and org_membership is None:
        return None
    return ClinicAccess(
        clinic=clinic,
        clinic_role=membership.role if membership else None,
        organisation_role=org_membership.role if org_membership else None,
        is_service_referrer=bool(membership and membership.is_service_referrer),
    )


def clinics_for(user: AnyUser) -> QuerySet[Clinic]:
    """Every clinic whose name the person may see (reporters included)."""
    person = _person(user)
    if person is None:
        return Clinic.objects.none()
    return (
        Clinic.objects.filter(Q(memberships__user=person) | Q(organisation__memberships__user=person))
        .select_related("organisation")
        .distinct()
    )


def organisations_for(user: AnyUser) -> QuerySet[Organisation]:
    """Organisations in which the person holds an organisation role."""
    person = _person(user)
    if person is None:
        return Organisation.objects.none()
    return Organisation.objects.filter(memberships__user=person).distinct()


def meeting_room_for(user: AnyUser, token: str) -> tuple[MeetingRoom, ClinicAccess]:
    """A meeting room by its link, for a person who may use the clinic's meeting rooms."""
    room = MeetingRoom.objects.select_related("clinic__organisation").filter(token=token).first()
    if room is None:
        raise Http404
    person = _person(user)
    access = _clinic_access(person, room.clinic) if person else None
    if access is None:
        raise Http404
    # A coordinator or reporter sees the clinic (and coordinators see its rooms'
    # links), but may not use its meeting rooms: 403, as the rules above say.
    return room, access.require("can_use_meeting_rooms")


def managed_meeting_room(access: ClinicAccess, room_id: int) -> MeetingRoom:
    room = access.require("can_configure").clinic.meeting_rooms.filter(pk=room_id).first()
    if room is None:
        raise Http404
    return room


def user_room_for(user: AnyUser, token: str) -> UserRoom:
    """A user room by its link: only its owner may host it."""
    person = _person(user)
    room = UserRoom.objects.select_related("clinic", "owner").filter(token=token).first()
    if room is None or person is None or room.owner_id != person.pk:
        raise Http404
    if not ClinicMembership.objects.filter(clinic=room.clinic, user=person).exists():
        raise Http404
    return room


def public_clinic(slug: str) -> Clinic:
    """A clinic by its public patient link: only its name and waiting area are public."""
    clinic = Clinic.objects.select_related("organisation", "waiting_area").filter(slug=slug).first()
    if clinic is None:
        raise Http404
    return clinic


def guest_link_for(token: str, session: SessionBase | Mapping[str, Any] | None = None) -> GuestLink:
    """A guest link that is still valid, or 404: an expired link reveals nothing.

    With the browser's `session`: 403 for a patient, a browser that holds an
    open waiting-area consultation. Patients never enter rooms.
    """
    link = (
        GuestLink.objects.valid()
        .select_related("meeting_room__clinic", "user_room__clinic", "user_room__owner")
        .filter(token=token)
        .first()
    )
    if link is None:
        raise Http404
    if session is not None and holds_open_consultation(session):
        raise PermissionDenied
    return link


def holds_open_consultation(session: SessionBase | Mapping[str, Any]) -> bool:
    """Is this browser a patient's: does its session hold a consultation that still exists?"""
    spaces = session.get(PATIENT_SESSION_KEY)
    tokens = [token for token in spaces.values() if isinstance(token, str)] if isinstance(spaces, dict) else []
    return bool(tokens) and Consultation.objects.filter(token__in=tokens).exists()


def consultation_for(user: AnyUser, consultation_id: int) -> tuple[Consultation, ClinicAccess]:
    """A waiting-area caller, for a person who may use that clinic's waiting area."""
    consultation = (
        Consultation.objects.select_related("clinic__organisation", "clinic__waiting_area")
        .filter(pk=consultation_id)
        .first()
    )
    person = _person(user)
    if consultation is None or person is None:
        raise Http404
    standing = _clinic_access(person, consultation.clinic)
    if standing is None or not standing.can_enter:
        raise Http404
    return consultation, standing


def patient_consultation(token: str) -> Consultation | None:
    """The patient's own space, by the token only they hold."""
    return Consultation.objects.select_related("clinic__waiting_area").filter(token=token).first()


def clinic_by_short_code(code: str) -> Clinic:
    """A clinic by the short code printed on leaflets and read out on the phone."""
    clinic = Clinic.objects.filter(waiting_area__short_code=code.upper()).first()
    if clinic is None:
        raise Http404
    return clinic


def transfer_targets(user: AnyUser, standing: ClinicAccess) -> list[Clinic]:
    """Other clinics' waiting areas this person may send a caller to.

    A service referrer may send to every clinic of the organisation; anyone
    else only to waiting areas they can use themselves.
    """
    person = _person(user)
    if person is None:
        return []
    others = Clinic.objects.filter(organisation_id=standing.clinic.organisation_id).exclude(pk=standing.clinic.pk)
    if standing.is_service_referrer or standing.organisation_role in (
        OrganisationRole.ADMIN,
        OrganisationRole.COORDINATOR,
    ):
        return list(others.select_related("organisation"))
    return list(others.filter(memberships__user=person).select_related("organisation").distinct())


def call_invite(token: str) -> CallInvite:
    """A valid invitation into a consultation's call, or 404."""
    invite = (
        CallInvite.objects.select_related("consultation__clinic")
        .filter(token=token, expires_at__gt=timezone.now())
        .first()
    )
    if invite is None:
        raise Http404
    return invite


def prefill_link(clinic: Clinic, token: str | None) -> PrefillLink | None:
    """A one-click link's details for this clinic's entry form, or None.

    Unknown, expired and other clinics' references all give None: the patient
    sees the empty form, and nothing tells a guesser which was the case.
    """
    if not token or len(token) > 100:
        return None
    return PrefillLink.objects.filter(
        clinic=clinic, token_hash=PrefillLink.hash_token(token), expires_at__gt=timezone.now()
    ).first()
