"""Pages for patients: no account, no login. The consultation's token is their key."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from consulta.consultations import actions
from consulta.consultations.forms import EntryForm, InviteeForm, prefill_initial
from consulta.consultations.hours import is_open
from consulta.consultations.labels import call_labels, device_labels, patient_labels
from consulta.consultations.models import Consultation
from consulta.core import languages, ratelimit
from consulta.core.client import client_address
from consulta.organisations import access
from consulta.organisations.models import Clinic
from consulta.precall.pagedata import entry_check_data

SESSION_KEY = access.PATIENT_SESSION_KEY  # clinic id -> token of the patient's open consultation


def short_link(request: HttpRequest, code: str) -> HttpResponse:
    return redirect("consultations:entry", slug=access.clinic_by_short_code(code).slug)


@require_http_methods(["GET", "POST"])
def entry(request: HttpRequest, slug: str) -> HttpResponse:
    clinic = access.public_clinic(slug)
    area = clinic.waiting_area
    open_spaces: dict[str, str] = request.session.get(SESSION_KEY, {})
    token = open_spaces.get(str(clinic.pk))
    if token and access.patient_consultation(token):
        # Already waiting here (a reopened link, a second tab): back to the same place.
        return redirect("consultations:space", token=token)
    if not is_open(area):
        return render(request, "consultations/closed.html", {"clinic": clinic, "area": area})

    form = EntryForm(request.POST or None, area=area, initial=prefill_initial(clinic, request.GET.get("p")))
    status = 200
    refusal: tuple[str, int, int] | None = None  # (message, status, seconds until a retry)
    if request.method == "POST":
        refusal = _refusal(request, clinic, form)
        if refusal is None and form.is_valid():
            consultation = actions.enter(
                clinic,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                phone=form.cleaned_data["phone"],
                answers=form.answers(),
                external_reference=_external_reference(clinic, request),
                language=translation.get_language(),
            )
            open_spaces[str(clinic.pk)] = consultation.token
            request.session[SESSION_KEY] = open_spaces
            return redirect("consultations:space", token=consultation.token)
        if refusal is not None:
            # Shown on this page with the bound form: nothing the patient typed is lost.
            form.add_error(None, refusal[0])
            status = refusal[1]
        else:
            status = 400
    context = {
        "clinic": clinic,
        "area": area,
        "form": form,
        "page_data": {
            "pingUrl": "/ws/ping/",
            "policy": area.device_check,
            "labels": device_labels(),
            # The bandwidth, round-trip and relay checks (consulta/precall) and their report.
            **entry_check_data(request, area),
        },
    }
    response = render(request, "consultations/entry.html", context, status=status)
    if refusal is not None:
        response["Retry-After"] = str(refusal[2])
    return response


def _external_reference(clinic: Clinic, request: HttpRequest) -> str:
    """The booking system's reference of the one-click link the patient came by ("" for none)."""
    link = access.prefill_link(clinic, request.GET.get("p"))
    return link.external_reference if link else ""


def _refusal(request: HttpRequest, clinic: Clinic, form: EntryForm) -> tuple[str, int, int] | None:
    """Why this entry may not go in now (message, status, seconds to wait), or None.

    Every POST counts against its address; only a complete form counts against the clinic,
    and only while the waiting area has room (WAITING_AREA_MAX_CALLERS open consultations:
    waiting, being seen or on hold)."""
    refused = ratelimit.hit("patient_entry_address", client_address(request))
    if refused is None and form.is_valid():
        cap = settings.WAITING_AREA_MAX_CALLERS
        if cap > 0 and Consultation.objects.filter(clinic=clinic).count() >= cap:
            full = _("The waiting area is full just now. Please try again in a few minutes, or call the clinic.")
            return full, 503, 60
        refused = ratelimit.hit("patient_entry_clinic", clinic.pk)
    if refused is None:
        return None
    return ratelimit.retry_message(refused), 429, refused.retry_after


def space(request: HttpRequest, token: str) -> HttpResponse:
    """The patient's own waiting screen, which becomes the call when the clinic joins."""
    consultation = access.patient_consultation(token)
    if consultation is None:
        # Ended, left, or never existed: the same answer for each, revealing nothing.
        return render(request, "consultations/space_gone.html", status=404)
    clinic = consultation.clinic
    # The consultation keeps the patient's language: a reload, the call and the end screen
    # stay in it, whatever the browser sends (the picker changes it: core.views.set_language).
    translation.activate(consultation.language)
    request.LANGUAGE_CODE = consultation.language
    page_data = {
        "socketUrl": f"/ws/patient/{token}/",
        "entryUrl": reverse("consultations:entry", args=[clinic.slug]),
        "labels": {**call_labels(), **device_labels(), **patient_labels()},
    }
    context = {"consultation": consultation, "clinic": clinic, "page_data": page_data}
    return render(request, "consultations/space.html", context)


def leave(request: HttpRequest, token: str) -> HttpResponse:
    """The patient chose to leave the queue."""
    if request.method != "POST":
        return redirect("consultations:space", token=token)
    consultation = access.patient_consultation(token)
    if consultation is not None:
        actions.leave(consultation)
        request.session.get(SESSION_KEY, {}).pop(str(consultation.clinic_id), None)
        request.session.modified = True
    return render(request, "consultations/left.html", {"message": _("You have left the waiting area.")})


@require_http_methods(["GET", "POST"])
def join_by_invite(request: HttpRequest, token: str) -> HttpResponse:
    """An invited interpreter or relative: give a name, then straight into the call."""
    invite = access.call_invite(token)
    form = InviteeForm(request.POST or None)
    refused = ratelimit.refuse_form(form, request, "name_form_address") if request.method == "POST" else None
    if refused is None and request.method == "POST" and form.is_valid():
        request.session[f"invite:{token}"] = form.cleaned_data["name"]
        return redirect("consultations:join_by_invite", token=token)
    name = request.session.get(f"invite:{token}")
    context = {
        "clinic": invite.consultation.clinic,
        "form": form,
        "name": name,
        "interpreter_language": languages.described(invite.interpreter_language) if invite.interpreter_language else "",
        "page_data": {"socketUrl": f"/ws/invites/{token}/", "labels": {**call_labels(), **device_labels()}},
    }
    status = 429 if refused else 400 if form.errors else 200
    return render(request, "consultations/join_by_invite.html", context, status=status)
