"""Room management and room entry pages.

Every view loads its rows through `organisations.access`; every change goes
through `rooms.actions`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from consulta.calls.queries import presence
from consulta.consultations.labels import call_labels, device_labels
from consulta.core import ratelimit
from consulta.core.people import person
from consulta.organisations import access
from consulta.organisations.views import invitation_email_refused, run_action
from consulta.rooms import actions
from consulta.rooms.forms import GuestLinkForm, GuestNameForm, InviteForm, MeetingRoomForm
from consulta.rooms.labels import room_labels
from consulta.rooms.models import GuestLink, MeetingRoom, UserRoom


def _create_guest_link(request: HttpRequest, room: MeetingRoom | UserRoom, form: GuestLinkForm) -> None:
    data = form.cleaned_data
    run_action(
        request,
        lambda: actions.create_guest_link(
            room,
            label=data["label"],
            expires_at=timezone.now() + timedelta(days=data["valid_days"]),
            created_by=person(request),
        ),
        _("Guest link created. Copy it and send it to your guest."),
    )


# --- Meeting rooms, for the clinic's admins --------------------------------------------


@login_required
def rooms_manage(request: HttpRequest, slug: str) -> HttpResponse:
    standing = access.clinic_access(request.user, slug, "can_configure")
    clinic = standing.clinic
    form = MeetingRoomForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["name"]
        created = run_action(
            request,
            lambda: actions.create_meeting_room(clinic, name=name, created_by=person(request)),
            _("Meeting room “%(name)s” created.") % {"name": name},
        )
        if created:
            return redirect("rooms:manage", slug=slug)
    rooms = list(clinic.meeting_rooms.all())
    now_inside = presence([room.call_key for room in rooms])
    context = {
        "standing": standing,
        "clinic": clinic,
        "form": form,
        "rooms": [(room, now_inside[room.call_key]) for room in rooms],
    }
    return render(request, "rooms/rooms_manage.html", context)


@login_required
def room_edit(request: HttpRequest, slug: str, room_id: int) -> HttpResponse:
    standing = access.clinic_access(request.user, slug, "can_configure")
    room = access.managed_meeting_room(standing, room_id)
    form = MeetingRoomForm(request.POST or None, initial={"name": room.name})
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["name"]
        if run_action(request, lambda: actions.rename_meeting_room(room, name=name), _("Room renamed.")):
            return redirect("rooms:edit", slug=slug, room_id=room.pk)
    return render(request, "rooms/room_edit.html", _room_context(standing, room, form, GuestLinkForm()))


def _room_context(
    standing: access.ClinicAccess, room: MeetingRoom, form: MeetingRoomForm, link_form: GuestLinkForm
) -> dict[str, object]:
    return {
        "standing": standing,
        "clinic": standing.clinic,
        "room": room,
        "form": form,
        "link_form": link_form,
        "guest_links": room.guest_links.valid(),
    }


@login_required
def room_delete(request: HttpRequest, slug: str, room_id: int) -> HttpResponse:
    standing = access.clinic_access(request.user, slug, "can_configure")
    room = access.managed_meeting_room(standing, room_id)
    if request.method == "POST":
        actions.delete_meeting_room(room)
        messages.success(request, _("Meeting room “%(name)s” deleted.") % {"name": room.name})
        return redirect("rooms:manage", slug=slug)
    return render(request, "rooms/room_delete.html", {"standing": standing, "clinic": standing.clinic, "room": room})


@login_required
@require_POST
def room_guest_link_create(request: HttpRequest, slug: str, room_id: int) -> HttpResponse:
    standing = access.clinic_access(request.user, slug, "can_configure")
    room = access.managed_meeting_room(standing, room_id)
    link_form = GuestLinkForm(request.POST)
    if not link_form.is_valid():
        context = _room_context(standing, room, MeetingRoomForm(initial={"name": room.name}), link_form)
        return render(request, "rooms/room_edit.html", context, status=400)
    _create_guest_link(request, room, link_form)
    return redirect("rooms:edit", slug=slug, room_id=room.pk)


@login_required
@require_POST
def room_guest_link_revoke(request: HttpRequest, slug: str, room_id: int, link_id: int) -> HttpResponse:
    standing = access.clinic_access(request.user, slug, "can_configure")
    room = access.managed_meeting_room(standing, room_id)
    link = get_object_or_404(GuestLink, pk=link_id, meeting_room=room)
    actions.revoke_guest_link(link)
    messages.success(request, _("Guest link revoked: it no longer lets anyone in."))
    return redirect("rooms:edit", slug=slug, room_id=room.pk)


# --- User rooms, enabled by the clinic's admins -------------------------------------------


@login_required
@require_POST
def user_room_toggle(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    standing = access.clinic_access(request.user, slug, "can_manage_team")
    membership = standing.clinic.memberships.select_related("user").filter(pk=membership_id).first()
    if membership is None:
        raise Http404
    room = standing.clinic.user_rooms.filter(owner_id=membership.user_id).first()
    name = membership.user.display_name
    if room is None:
        actions.enable_user_room(membership, enabled_by=person(request))
        messages.success(request, _("%(person)s now has a user room.") % {"person": name})
    else:
        actions.disable_user_room(room)
        messages.success(request, _("The user room of %(person)s has been removed.") % {"person": name})
    return redirect("organisations:clinic_team", slug=slug)


# --- Entering rooms ---------------------------------------------------------------------


def _call_labels() -> dict[str, str | list[str]]:
    return {**call_labels(), **device_labels(), **room_labels()}


def _host_page_data(
    room: MeetingRoom | UserRoom, *, socket_url: str, invite_url: str, leave_url: str
) -> dict[str, Any]:
    """What room-call.js needs; the keys are listed in rooms/meeting_room.html."""
    return {
        "socketUrl": socket_url,
        "labels": _call_labels(),
        "isHost": True,
        "roomName": room.name,
        "canManage": True,
        "inviteUrl": invite_url,
        "leaveUrl": leave_url,
    }


@login_required
def meeting_room(request: HttpRequest, token: str) -> HttpResponse:
    room, standing = access.meeting_room_for(request.user, token)
    page_data = _host_page_data(
        room,
        socket_url=f"/ws/rooms/{room.token}/",
        invite_url=reverse("rooms:meeting_room_invite", args=[room.token]),
        leave_url=reverse("organisations:clinic_home", args=[room.clinic.slug]),
    )
    context = {
        "room": room,
        "clinic": room.clinic,
        "standing": standing,
        "presence": presence([room.call_key])[room.call_key],
        "invite_form": InviteForm(),
        "page_data": page_data,
    }
    return render(request, "rooms/meeting_room.html", context)


@login_required
def user_room(request: HttpRequest, token: str) -> HttpResponse:
    room = access.user_room_for(request.user, token)
    form = GuestLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _create_guest_link(request, room, form)
        return redirect("rooms:user_room", token=token)
    page_data = _host_page_data(
        room,
        socket_url=f"/ws/user-rooms/{room.token}/",
        invite_url=reverse("rooms:user_room_invite", args=[room.token]),
        leave_url=reverse("organisations:clinic_home", args=[room.clinic.slug]),
    )
    context = {
        "room": room,
        "clinic": room.clinic,
        "link_form": form,
        "guest_links": room.guest_links.valid(),
        "presence": presence([room.call_key])[room.call_key],
        "invite_form": InviteForm(),
        "page_data": page_data,
    }
    return render(request, "rooms/user_room.html", context)


@login_required
@require_POST
def user_room_guest_link_revoke(request: HttpRequest, token: str, link_id: int) -> HttpResponse:
    room = access.user_room_for(request.user, token)
    link = get_object_or_404(GuestLink, pk=link_id, user_room=room)
    actions.revoke_guest_link(link)
    messages.success(request, _("Guest link revoked: it no longer lets anyone in."))
    return redirect("rooms:user_room", token=token)


def _invite(request: HttpRequest, room: MeetingRoom | UserRoom, back: str) -> HttpResponse:
    """A one-day link straight into the room's call: JSON for the page's script, a redirect for a plain form."""
    wants_json = request.headers.get("Accept") == "application/json"
    form = InviteForm(request.POST)
    if not form.is_valid():
        message = _("Enter a valid e-mail address, or leave it empty.")
        if wants_json:
            return JsonResponse({"ok": False, "message": message}, status=400)
        messages.error(request, message)
        return redirect(back)
    email = form.cleaned_data["email"]
    if email and (refused := invitation_email_refused(request)):
        message = ratelimit.retry_message(refused)
        if wants_json:  # the page's script keeps the address in its form
            return JsonResponse({"ok": False, "message": message}, status=429)
        messages.error(request, _("The invitation to %(email)s was not sent.") % {"email": email} + " " + message)
        return redirect(back)
    link = actions.invite_into_call(room, invited_by=person(request), email=email)
    url = request.build_absolute_uri(reverse("rooms:guest", args=[link.token]))
    if email:
        message = _("Invitation sent to %(email)s. The link works for one day.") % {"email": email}
    else:
        message = _("Invitation link ready: copy it and send it. It works for one day.")
    if wants_json:
        return JsonResponse({"ok": True, "url": url, "message": message})
    messages.success(request, f"{message} {url}")
    return redirect(back)


@login_required
@require_POST
def meeting_room_invite(request: HttpRequest, token: str) -> HttpResponse:
    room, _standing = access.meeting_room_for(request.user, token)
    return _invite(request, room, reverse("rooms:meeting_room", args=[room.token]))


@login_required
@require_POST
def user_room_invite(request: HttpRequest, token: str) -> HttpResponse:
    room = access.user_room_for(request.user, token)
    return _invite(request, room, reverse("rooms:user_room", args=[room.token]))


def _guest_name_key(token: str) -> str:
    return f"guest-name:{token}"


@require_http_methods(["GET", "POST"])
def guest(request: HttpRequest, token: str) -> HttpResponse:
    """A guest link: a name, then knocking, then the call. Never for a patient's browser."""
    try:
        link = access.guest_link_for(token, request.session)
    except PermissionDenied:
        return _patient_refused(request)
    room = link.room
    form = GuestNameForm(request.POST or None)
    refused = ratelimit.refuse_form(form, request, "name_form_address") if request.method == "POST" else None
    if refused is None and request.method == "POST" and form.is_valid():
        request.session[_guest_name_key(token)] = form.cleaned_data["name"]
        return redirect("rooms:guest", token=token)
    name = request.session.get(_guest_name_key(token))
    page_data = {
        "socketUrl": f"/ws/guest/{token}/",
        "labels": _call_labels(),
        "isHost": False,
        "roomName": room.name,
        "canManage": False,
        "guestName": name,
    }
    context = {
        "link": link,
        "room": room,
        "clinic": room.clinic,
        "form": form,
        "name": name,
        "page_data": page_data,
    }
    return render(request, "rooms/guest.html", context, status=429 if refused else 400 if form.errors else 200)


def _patient_refused(request: HttpRequest) -> HttpResponse:
    """A browser waiting in a waiting area opened a guest link: patients never enter rooms."""
    spaces = request.session.get(access.PATIENT_SESSION_KEY) or {}
    tokens = [token for token in spaces.values() if isinstance(token, str)] if isinstance(spaces, dict) else []
    consultation = next(filter(None, map(access.patient_consultation, tokens)), None)
    return render(request, "rooms/guest_patient.html", {"consultation": consultation}, status=403)
