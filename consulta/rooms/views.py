"""Room management and room entry pages.

Every view loads its rows through `organisations.access`; every change goes
through `rooms.actions`.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from consulta.core.people import person
from consulta.organisations import access
from consulta.organisations.views import run_action
from consulta.rooms import actions
from consulta.rooms.forms import GuestLinkForm, MeetingRoomForm
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
    context = {"standing": standing, "clinic": clinic, "form": form, "rooms": clinic.meeting_rooms.all()}
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


@login_required
def meeting_room(request: HttpRequest, token: str) -> HttpResponse:
    room, standing = access.meeting_room_for(request.user, token)
    return render(request, "rooms/meeting_room.html", {"room": room, "clinic": room.clinic, "standing": standing})


@login_required
def user_room(request: HttpRequest, token: str) -> HttpResponse:
    room = access.user_room_for(request.user, token)
    form = GuestLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _create_guest_link(request, room, form)
        return redirect("rooms:user_room", token=token)
    context = {"room": room, "clinic": room.clinic, "link_form": form, "guest_links": room.guest_links.valid()}
    return render(request, "rooms/user_room.html", context)


@login_required
@require_POST
def user_room_guest_link_revoke(request: HttpRequest, token: str, link_id: int) -> HttpResponse:
    room = access.user_room_for(request.user, token)
    link = get_object_or_404(GuestLink, pk=link_id, user_room=room)
    actions.revoke_guest_link(link)
    messages.success(request, _("Guest link revoked: it no longer lets anyone in."))
    return redirect("rooms:user_room", token=token)


def guest(request: HttpRequest, token: str) -> HttpResponse:
    link = access.guest_link_for(token)
    return render(request, "rooms/guest.html", {"link": link, "room": link.room, "clinic": link.room.clinic})
