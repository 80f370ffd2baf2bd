from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import i18n
from django.views.decorators.http import require_POST

from consulta.accounts import actions as account_actions
from consulta.consultations import actions as consultation_actions
from consulta.core import ratelimit
from consulta.core.client import client_address
from consulta.core.languages import BY_CODE
from consulta.organisations import access


@login_required
def home(request: HttpRequest) -> HttpResponse:
    clinics = []
    for clinic in access.clinics_for(request.user).order_by("organisation__name", "name"):
        standing = access.clinic_access(request.user, clinic.slug, capability=None)
        clinics.append({"clinic": clinic, "can_enter": standing.can_enter})
    return render(
        request,
        "core/home.html",
        {"organisations": access.organisations_for(request.user), "clinics": clinics},
    )


def health(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language picker: Django's own view (the cookie, a safe `next`), and then the choice
    kept where it must last: on a signed-in person's account, and on the consultations this
    browser has open, so the patient's pages, notices and call follow it."""
    refused = ratelimit.hit("language_address", client_address(request))
    if refused is not None:
        return HttpResponse(ratelimit.retry_message(refused), status=429, content_type="text/plain; charset=utf-8")
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if language not in BY_CODE:
        return response
    if request.user.is_authenticated:
        account_actions.set_language(request.user, language)
    for token in request.session.get(access.PATIENT_SESSION_KEY, {}).values():
        consultation = access.patient_consultation(token)
        if consultation is not None:
            consultation_actions.set_language(consultation, language)
    return response
