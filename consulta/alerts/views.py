"""The alerts page of a clinic: each person's own alerts, and the clinic's escalation.

Everyone who may enter the clinic sets their own alerts here (nobody else's: the page only
ever loads the person's own row). The escalation is set by those who may configure the
clinic, through a URL of its own that answers 403 to everyone else.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from consulta.alerts import actions
from consulta.alerts.forms import EscalationForm, PreferenceForm
from consulta.core.people import person
from consulta.organisations import access


def _page(
    request: HttpRequest,
    standing: access.ClinicAccess,
    preference_form: PreferenceForm | None = None,
    escalation_form: EscalationForm | None = None,
) -> HttpResponse:
    user, clinic = person(request), standing.clinic
    policy = actions.escalation_of(clinic)
    if preference_form is None:
        preference_form = PreferenceForm(instance=actions.preference_of(user, clinic), email=user.email)
    if escalation_form is None and standing.can_configure:
        escalation_form = EscalationForm(instance=policy, prefix="escalation")
    context = {
        "standing": standing,
        "clinic": clinic,
        "preference_form": preference_form,
        "escalation_form": escalation_form,
        "policy": policy,
    }
    return render(request, "alerts/alerts.html", context)


@login_required
def alerts_settings(request: HttpRequest, slug: str) -> HttpResponse:
    standing = access.clinic_access(request.user, slug, "can_enter")
    if request.method != "POST":
        return _page(request, standing)
    user, clinic = person(request), standing.clinic
    form = PreferenceForm(request.POST, instance=actions.preference_of(user, clinic), email=user.email)
    if not form.is_valid():
        return _page(request, standing, preference_form=form)
    data = form.cleaned_data
    actions.save_preferences(
        user,
        clinic,
        new_caller_email=data["new_caller_email"],
        new_caller_sms=data["new_caller_sms"],
        phone=data["phone"],
    )
    messages.success(request, _("Your alerts are saved."))
    return redirect("alerts:settings", slug=clinic.slug)


@login_required
@require_POST
def escalation(request: HttpRequest, slug: str) -> HttpResponse:
    standing = access.clinic_access(request.user, slug, "can_configure")
    clinic = standing.clinic
    form = EscalationForm(request.POST, instance=actions.escalation_of(clinic), prefix="escalation")
    if not form.is_valid():
        return _page(request, standing, escalation_form=form)
    actions.save_escalation(
        clinic,
        team_after_minutes=form.cleaned_data["team_after_minutes"],
        admin_after_minutes=form.cleaned_data["admin_after_minutes"],
        by=person(request),
    )
    messages.success(request, _("The clinic's escalation is saved."))
    return redirect("alerts:settings", slug=clinic.slug)
