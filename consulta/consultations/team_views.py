"""Pages and actions for the clinic's team: the dashboard, the call, the waiting-area settings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from consulta.consultations import actions
from consulta.consultations.forms import (
    EntryFieldFormSet,
    NotifyForm,
    OpeningHoursFormSet,
    PrefillForm,
    WaitingAreaForm,
)
from consulta.consultations.labels import call_labels, dashboard_labels
from consulta.consultations.models import Consultation, Status, UrgentReason
from consulta.core import languages
from consulta.core.people import person
from consulta.organisations import access
from consulta.organisations.models import Clinic


def _transfer_targets(request: HttpRequest, standing: access.ClinicAccess) -> list[Clinic]:
    return access.transfer_targets(request.user, standing)


@login_required
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    standing = access.clinic_access(request.user, slug, "can_enter")
    return _dashboard_page(request, standing)


def _call_data(consultation: Consultation) -> dict[str, Any]:
    """What the dashboard needs to hold a consultation's call on the same page."""
    return {
        "id": consultation.pk,
        "name": consultation.name,
        "socketUrl": f"/ws/consultations/{consultation.pk}/call/",
        "url": reverse("consultations:call", args=[consultation.clinic.slug, consultation.pk]),
    }


def _dashboard_page(
    request: HttpRequest, standing: access.ClinicAccess, call: Consultation | None = None
) -> HttpResponse:
    """The waiting area; with `call`, that consultation's call open over it (a reload in the call)."""
    clinic = standing.clinic
    page_data = {
        "socketUrl": f"/ws/clinic/{clinic.slug}/queue/",
        "callersBase": f"/c/{clinic.slug}/callers/",
        "dashboardUrl": reverse("consultations:dashboard", args=[clinic.slug]),
        "transferTargets": [{"slug": c.slug, "name": c.name} for c in _transfer_targets(request, standing)],
        "labels": dashboard_labels(),
        "callLabels": call_labels(),
        "urgentAfterMinutes": 30,
        "urgentReasons": [[str(code), str(label)] for code, label in UrgentReason.choices],
        # The patients' languages, named for this page's reader: each card shows its caller's.
        "languages": languages.page_names(),
        "call": _call_data(call) if call else None,
    }
    context = {
        "standing": standing,
        "clinic": clinic,
        "page_data": page_data,
        "prefill_form": PrefillForm(prefix="prefill"),
        "call": call,
    }
    return render(request, "consultations/dashboard.html", context)


def _caller(request: HttpRequest, slug: str, consultation_id: int) -> tuple[Consultation, access.ClinicAccess]:
    consultation, standing = access.consultation_for(request.user, consultation_id)
    if consultation.clinic.slug != slug:
        raise Http404
    return consultation, standing


def _done(request: HttpRequest, message: str, url: str | None = None) -> HttpResponse:
    """Answer a script with JSON, a plain form with a redirect."""
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"ok": True, "message": message, "url": url})
    messages.success(request, message)
    return redirect(url or reverse("consultations:dashboard", args=[request.resolver_match.kwargs["slug"]]))  # type: ignore[union-attr]


def _refused(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"ok": False, "message": message}, status=status)
    messages.error(request, message)
    return redirect(reverse("consultations:dashboard", args=[request.resolver_match.kwargs["slug"]]))  # type: ignore[union-attr]


@login_required
@require_POST
def join(request: HttpRequest, slug: str, consultation_id: int) -> HttpResponse:
    consultation, _standing = _caller(request, slug, consultation_id)
    if consultation.call_host_id:
        consultation = consultation.call_host  # type: ignore[assignment]
    actions.join(consultation, person(request))
    call = _call_data(consultation)
    message = _("Joining %(name)s.") % {"name": consultation.name}
    if request.headers.get("Accept") == "application/json":
        return JsonResponse({"ok": True, "message": message, "url": call["url"], "call": call})
    return _done(request, message, call["url"])


@login_required
@require_POST
def hold(request: HttpRequest, slug: str, consultation_id: int) -> HttpResponse:
    consultation, _standing = _caller(request, slug, consultation_id)
    actions.hold(consultation)
    return _done(request, _("%(name)s is on hold, back on the waiting screen.") % {"name": consultation.name})


@login_required
@require_POST
def notify(request: HttpRequest, slug: str, consultation_id: int) -> HttpResponse:
    consultation, _standing = _caller(request, slug, consultation_id)
    form = NotifyForm(request.POST)
    if not form.is_valid():
        return _refused(request, _("Write a message of at most 300 characters."))
    actions.notify(consultation, form.cleaned_data["text"])
    return _done(request, _("Message shown to %(name)s.") % {"name": consultation.name})


@login_required
@require_POST
def urgent(request: HttpRequest, slug: str, consultation_id: int) -> HttpResponse:
    """Triage: mark a waiting caller urgent for a reason from the list, or clear it (an empty reason)."""
    consultation, _standing = _caller(request, slug, consultation_id)
    reason = request.POST.get("reason")
    if reason is None or (reason and reason not in UrgentReason.values):
        return _refused(request, _("Choose a reason from the list."))
    if reason and consultation.status != Status.WAITING:
        return _refused(request, _("Only a waiting caller can be marked urgent."))
    actions.mark_urgent(consultation, reason, person(request))
    if not reason:
        return _done(request, _("%(name)s is no longer marked urgent.") % {"name": consultation.name})
    label = UrgentReason(reason).label
    return _done(request, _("%(name)s is marked urgent: %(reason)s.") % {"name": consultation.name, "reason": label})


@login_required
@require_POST
def transfer(request: HttpRequest, slug: str, consultation_id: int) -> HttpResponse:
    consultation, standing = _caller(request, slug, consultation_id)
    targets = {c.slug: c for c in _transfer_targets(request, standing)}
    target = targets.get(request.POST.get("clinic", ""))
    if target is None:
        return _refused(request, _("Choose a clinic to transfer to."))
    actions.transfer(consultation, target)
    return _done(
        request, _("%(name)s moved to the waiting area of %(clinic)s.") % {"name": consultation.name, "clinic": target}
    )


@login_required
@require_POST
def add_to_call(request: HttpRequest, slug: str, consultation_id: int, host_id: int) -> HttpResponse:
    consultation, _standing = _caller(request, slug, consultation_id)
    host, _host_standing = _caller(request, slug, host_id)
    if consultation.pk == host.pk or consultation.status == Status.IN_CALL:
        return _refused(request, _("This caller is already in a call."))
    actions.add_to_call(consultation, host, person(request))
    return _done(request, _("%(name)s is joining your call.") % {"name": consultation.name})


@login_required
@require_POST
def end(request: HttpRequest, slug: str, consultation_id: int) -> HttpResponse:
    consultation, _standing = _caller(request, slug, consultation_id)
    name = consultation.name
    actions.end(consultation)
    return _done(request, _("The consultation with %(name)s has ended.") % {"name": name})


@login_required
def call(request: HttpRequest, slug: str, consultation_id: int) -> HttpResponse:
    """The dashboard with this consultation's call open: where Join leads, and what a reload keeps."""
    consultation, standing = _caller(request, slug, consultation_id)
    return _dashboard_page(request, standing, call=consultation)


@login_required
def waiting_area_settings(request: HttpRequest, slug: str) -> HttpResponse:
    standing = access.clinic_access(request.user, slug, "can_configure")
    area = standing.clinic.waiting_area
    data = request.POST if request.method == "POST" else None
    form = WaitingAreaForm(data, instance=area)
    hours = OpeningHoursFormSet(data, instance=area, prefix="hours")
    fields = EntryFieldFormSet(data, instance=area, prefix="fields")
    if request.method == "POST" and form.is_valid() and hours.is_valid() and fields.is_valid():
        actions.configure_waiting_area(form, hours, fields)
        messages.success(request, _("Waiting-area settings saved."))
        return redirect("consultations:settings", slug=slug)
    entry_url = request.build_absolute_uri(reverse("consultations:entry", args=[slug]))
    context = {
        "standing": standing,
        "clinic": standing.clinic,
        "area": area,
        "form": form,
        "hours": hours,
        "fields": fields,
        "entry_url": entry_url,
        "short_url": request.build_absolute_uri(reverse("consultations:short", args=[area.short_code])),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "consultations/settings.html", context, status=status)


@login_required
@require_POST
def prefill_link(request: HttpRequest, slug: str) -> HttpResponse:
    """A one-click link for a known patient: their details stay here, the link carries an opaque reference."""
    standing = access.clinic_access(request.user, slug, "can_enter")
    form = PrefillForm(request.POST, prefix="prefill")
    if not form.is_valid():
        return _refused(request, _("Give at least the patient's first and last name."))
    token = actions.make_prefill_link(standing.clinic, person(request), **form.cleaned_data)
    url = request.build_absolute_uri(reverse("consultations:entry", args=[standing.clinic.slug])) + f"?p={token}"
    return JsonResponse({"ok": True, "url": url, "message": _("Link ready: copy it and send it to the patient.")})


@login_required
@require_POST
def invite(request: HttpRequest, slug: str, consultation_id: int) -> HttpResponse:
    """A link that brings an interpreter or a relative straight into this call."""
    consultation, _standing = _caller(request, slug, consultation_id)
    interpreter = request.POST.get("interpreter") == "1"
    link = actions.invite_to_call(consultation, person(request), interpreter=interpreter)
    url = request.build_absolute_uri(reverse("consultations:join_by_invite", args=[link.token]))
    if interpreter:
        language = languages.described(link.interpreter_language)
        message = _("Interpreter invitation for %(language)s ready: copy the link and send it.") % {
            "language": language
        }
    else:
        message = _("Invitation link ready: copy it and send it.")
    return JsonResponse({"ok": True, "url": url, "message": message})
