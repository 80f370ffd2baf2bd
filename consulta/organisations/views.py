"""Organisation and clinic management pages.

Every view loads its rows through `access`; every change goes through `actions`.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from consulta.accounts.models import User
from consulta.calls.queries import presence
from consulta.core import ratelimit
from consulta.core.client import client_address
from consulta.core.people import person
from consulta.organisations import access, actions
from consulta.organisations.forms import (
    ClinicForm,
    ClinicInviteForm,
    ClinicMemberForm,
    ClinicSettingsForm,
    OrganisationInviteForm,
    PeopleSearchForm,
)
from consulta.organisations.models import ClinicMembership, Invitation, OrganisationMembership


def run_action(request: HttpRequest, action: Callable[[], object], success: str) -> bool:
    """Run one action; show its success, or the rule that refused it."""
    try:
        action()
    except actions.ActionError as error:
        messages.error(request, str(error))
        return False
    messages.success(request, success)
    return True


def invitation_email_refused(request: HttpRequest) -> ratelimit.Refused | None:
    """Count one invitation e-mail against the client address and the inviting account."""
    return ratelimit.hit("invitation_email_address", client_address(request)) or ratelimit.hit(
        "invitation_email_account", person(request).pk
    )


# --- Organisation ------------------------------------------------------------------


def _organisation(
    request: HttpRequest, org_slug: str, capability: access.OrganisationCapability
) -> access.OrganisationAccess:
    return access.organisation_access(request.user, org_slug).require(capability)


@login_required
def organisation_home(request: HttpRequest, org_slug: str) -> HttpResponse:
    standing = _organisation(request, org_slug, "can_see_organisation")
    clinics = standing.organisation.clinics.all()
    return render(request, "organisations/organisation_home.html", {"standing": standing, "clinics": clinics})


@login_required
def clinic_create(request: HttpRequest, org_slug: str) -> HttpResponse:
    standing = _organisation(request, org_slug, "can_create_clinics")
    organisation = standing.organisation
    form = ClinicForm(request.POST or None, organisation_time_zone=organisation.time_zone)
    form.instance.organisation = organisation
    if request.method == "POST" and form.is_valid():
        clinic = actions.create_clinic(organisation, **form.cleaned_data)
        messages.success(request, _("Clinic “%(name)s” created, with its waiting area.") % {"name": clinic.name})
        return redirect("organisations:clinic_home", slug=clinic.slug)
    return render(request, "organisations/clinic_create.html", {"standing": standing, "form": form})


@login_required
def people(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Every person with a role anywhere in the organisation, with their roles."""
    standing = _organisation(request, org_slug, "can_see_people")
    organisation = standing.organisation
    form = PeopleSearchForm(request.GET or None)
    in_organisation = Q(organisation_memberships__organisation=organisation) | Q(
        clinic_memberships__clinic__organisation=organisation
    )
    everyone = User.objects.filter(in_organisation).distinct()
    found = everyone
    query = form.cleaned_data.get("q", "").strip() if form.is_valid() else ""
    if query:
        found = found.filter(Q(first_name__icontains=query) | Q(last_name__icontains=query) | Q(email__icontains=query))
    found = found.prefetch_related(
        Prefetch(
            "clinic_memberships",
            queryset=ClinicMembership.objects.filter(clinic__organisation=organisation).select_related("clinic"),
            to_attr="roles_here",
        ),
        Prefetch(
            "organisation_memberships",
            queryset=OrganisationMembership.objects.filter(organisation=organisation),
            to_attr="organisation_roles_here",
        ),
    )
    return render(
        request,
        "organisations/people.html",
        {"standing": standing, "form": form, "people": found, "total": everyone.count(), "query": query},
    )


@login_required
def organisation_roles(request: HttpRequest, org_slug: str) -> HttpResponse:
    standing = _organisation(request, org_slug, "can_manage_roles")
    organisation = standing.organisation
    form = OrganisationInviteForm(request.POST or None, roles=standing.assignable_roles)
    status = 200
    if request.method == "POST" and form.is_valid() and (refused := invitation_email_refused(request)):
        form.add_error(None, ratelimit.retry_message(refused))  # the form keeps what was typed
        status = 429
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def invite() -> object:
            return actions.invite_to_organisation(
                organisation,
                email=data["email"],
                role=data["role"],
                invited_by=person(request),
            )

        if run_action(request, invite, _("Invitation sent to %(email)s.") % {"email": data["email"]}):
            return redirect("organisations:roles", org_slug=org_slug)
    context = {
        "standing": standing,
        "form": form,
        "memberships": organisation.memberships.select_related("user").order_by("role", "user__email"),
        "invitations": organisation.invitations.pending().filter(clinic__isnull=True),
    }
    return render(request, "organisations/organisation_roles.html", context, status=status)


@login_required
@require_POST
def organisation_role_remove(request: HttpRequest, org_slug: str, membership_id: int) -> HttpResponse:
    standing = _organisation(request, org_slug, "can_manage_roles")
    membership = standing.organisation.memberships.filter(pk=membership_id, role__in=standing.assignable_roles).first()
    if membership is None:
        raise Http404
    run_action(
        request,
        lambda: actions.remove_from_organisation(membership),
        _("%(person)s no longer has an organisation role.") % {"person": membership.user.display_name},
    )
    return redirect("organisations:roles", org_slug=org_slug)


def _organisation_invitation(standing: access.OrganisationAccess, invitation_id: int) -> Invitation:
    invitation = (
        standing.organisation.invitations.filter(
            pk=invitation_id, clinic__isnull=True, organisation_role__in=standing.assignable_roles
        )
        .select_related("organisation")
        .first()
    )
    if invitation is None:
        raise Http404
    return invitation


@login_required
@require_POST
def organisation_invitation(request: HttpRequest, org_slug: str, invitation_id: int, verb: str) -> HttpResponse:
    standing = _organisation(request, org_slug, "can_manage_roles")
    invitation = _organisation_invitation(standing, invitation_id)
    _change_invitation(request, invitation, verb)
    return redirect("organisations:roles", org_slug=org_slug)


def _change_invitation(request: HttpRequest, invitation: Invitation, verb: str) -> None:
    if verb == "resend" and (refused := invitation_email_refused(request)):
        messages.error(
            request,
            _("The invitation to %(email)s was not sent again.") % {"email": invitation.email}
            + " "
            + ratelimit.retry_message(refused),
        )
    elif verb == "resend":
        run_action(
            request,
            lambda: actions.resend_invitation(invitation),
            _("Invitation to %(email)s sent again.") % {"email": invitation.email},
        )
    elif verb == "withdraw":
        run_action(
            request,
            lambda: actions.withdraw_invitation(invitation),
            _("Invitation to %(email)s withdrawn.") % {"email": invitation.email},
        )
    else:
        raise Http404


# --- Clinic ------------------------------------------------------------------------


@login_required
def clinic_home(request: HttpRequest, slug: str) -> HttpResponse:
    standing = access.clinic_access(request.user, slug, "can_enter")
    clinic = standing.clinic
    user_room = clinic.user_rooms.filter(owner=person(request)).first()
    rooms = list(clinic.meeting_rooms.all()) if standing.can_use_meeting_rooms else []
    now_inside = presence([room.call_key for room in rooms] + ([user_room.call_key] if user_room else []))
    context = {
        "standing": standing,
        "clinic": clinic,
        # Each room with how many are in its call and whether a guest knocks, as the page loads.
        "meeting_rooms": [(room, now_inside[room.call_key]) for room in rooms],
        "user_room": user_room,
        "user_room_presence": now_inside[user_room.call_key] if user_room else None,
    }
    return render(request, "organisations/clinic_home.html", context)


@login_required
def clinic_settings(request: HttpRequest, slug: str) -> HttpResponse:
    standing = access.clinic_access(request.user, slug, "can_configure")
    clinic = standing.clinic
    form = ClinicSettingsForm(
        request.POST or None, instance=clinic, organisation_time_zone=clinic.organisation.time_zone
    )
    if request.method == "POST" and form.is_valid():
        actions.update_clinic(clinic, name=form.cleaned_data["name"], time_zone=form.cleaned_data["time_zone"])
        messages.success(request, _("Clinic settings saved."))
        return redirect("organisations:clinic_settings", slug=clinic.slug)
    return render(request, "organisations/clinic_settings.html", {"standing": standing, "clinic": clinic, "form": form})


@login_required
def clinic_team(request: HttpRequest, slug: str) -> HttpResponse:
    standing = access.clinic_access(request.user, slug, "can_add_team_members")
    clinic = standing.clinic
    form = ClinicInviteForm(request.POST or None, roles=standing.invitable_roles)
    status = 200
    if request.method == "POST" and form.is_valid() and (refused := invitation_email_refused(request)):
        form.add_error(None, ratelimit.retry_message(refused))  # the form keeps what was typed
        status = 429
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def invite() -> object:
            return actions.invite_to_clinic(
                clinic,
                email=data["email"],
                role=data["role"],
                is_service_referrer=data["is_service_referrer"] and standing.can_manage_team,
                invited_by=person(request),
            )

        if run_action(request, invite, _("Invitation sent to %(email)s.") % {"email": data["email"]}):
            return redirect("organisations:clinic_team", slug=slug)
    memberships = clinic.memberships.select_related("user").order_by("user__first_name", "user__email")
    rooms_by_owner = {room.owner_id: room for room in clinic.user_rooms.all()}
    team = [
        {
            "membership": m,
            "form": ClinicMemberForm(
                initial={"role": m.role, "is_service_referrer": m.is_service_referrer}, prefix=f"m{m.pk}"
            ),
            "user_room": rooms_by_owner.get(m.user_id),
        }
        for m in memberships
    ]
    context = {
        "standing": standing,
        "clinic": clinic,
        "form": form,
        "team": team,
        "invitations": clinic.invitations.pending().filter(clinic_role__in=standing.invitable_roles),
    }
    return render(request, "organisations/clinic_team.html", context, status=status)


def _membership(standing: access.ClinicAccess, membership_id: int) -> ClinicMembership:
    membership = standing.clinic.memberships.select_related("user").filter(pk=membership_id).first()
    if membership is None:
        raise Http404
    return membership


@login_required
@require_POST
def membership_update(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    standing = access.clinic_access(request.user, slug, "can_manage_team")
    membership = _membership(standing, membership_id)
    form = ClinicMemberForm(request.POST, prefix=f"m{membership.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose one of the listed roles."))
    else:
        run_action(
            request,
            lambda: actions.change_clinic_role(membership, **form.cleaned_data),
            _("Role of %(person)s saved.") % {"person": membership.user.display_name},
        )
    return redirect("organisations:clinic_team", slug=slug)


@login_required
@require_POST
def membership_remove(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    standing = access.clinic_access(request.user, slug, "can_manage_team")
    membership = _membership(standing, membership_id)
    run_action(
        request,
        lambda: actions.remove_from_clinic(membership),
        _("%(person)s has left the clinic's team.") % {"person": membership.user.display_name},
    )
    return redirect("organisations:clinic_team", slug=slug)


@login_required
@require_POST
def clinic_invitation(request: HttpRequest, slug: str, invitation_id: int, verb: str) -> HttpResponse:
    standing = access.clinic_access(request.user, slug, "can_add_team_members")
    invitation = (
        standing.clinic.invitations.filter(pk=invitation_id, clinic_role__in=standing.invitable_roles)
        .select_related("organisation", "clinic")
        .first()
    )
    if invitation is None:
        raise Http404
    _change_invitation(request, invitation, verb)
    return redirect("organisations:clinic_team", slug=slug)
