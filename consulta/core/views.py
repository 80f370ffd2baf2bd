from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

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
