"""The organisation admin's webhook pages: the endpoints, and each one with its delivery log.

Every view loads its rows through `access` (can_manage_integrations: organisation admins only);
every change goes through `actions`. The secret is shown to the admin here, and nowhere else.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from consulta.core.people import person
from consulta.organisations import access
from consulta.webhooks import actions
from consulta.webhooks.forms import EndpointForm
from consulta.webhooks.models import WebhookAttempt, WebhookEndpoint

LOG_SIZE = 50  # the messages an endpoint's page shows, newest first


def _standing(request: HttpRequest, org_slug: str) -> access.OrganisationAccess:
    return access.organisation_access(request.user, org_slug).require("can_manage_integrations")


def _endpoint(standing: access.OrganisationAccess, endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(organisation=standing.organisation, pk=endpoint_id).first()
    if endpoint is None:
        raise Http404
    return endpoint


@login_required
def endpoints(request: HttpRequest, org_slug: str) -> HttpResponse:
    standing = _standing(request, org_slug)
    organisation = standing.organisation
    form = EndpointForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        endpoint = actions.create_endpoint(organisation, created_by=person(request), **form.values())
        messages.success(request, _("Webhook endpoint added. Give its signing secret to the receiving system."))
        return redirect("webhooks:endpoint", org_slug=org_slug, endpoint_id=endpoint.pk)
    context = {
        "standing": standing,
        "form": form,
        "endpoints": WebhookEndpoint.objects.filter(organisation=organisation),
    }
    return render(request, "webhooks/endpoints.html", context)


@login_required
def endpoint(request: HttpRequest, org_slug: str, endpoint_id: int) -> HttpResponse:
    standing = _standing(request, org_slug)
    found = _endpoint(standing, endpoint_id)
    initial = EndpointForm.initial_of(found)
    form = EndpointForm(request.POST or None, organisation=standing.organisation, initial=initial)
    if request.method == "POST" and form.is_valid():
        actions.update_endpoint(found, **form.values())
        messages.success(request, _("Webhook endpoint saved."))
        return redirect("webhooks:endpoint", org_slug=org_slug, endpoint_id=found.pk)
    log = found.messages.order_by("-created_at", "-pk").prefetch_related(
        Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("at", "pk"))
    )[:LOG_SIZE]
    context = {"standing": standing, "form": form, "endpoint": found, "log": log}
    return render(request, "webhooks/endpoint.html", context)


@login_required
@require_POST
def rotate_secret(request: HttpRequest, org_slug: str, endpoint_id: int) -> HttpResponse:
    found = _endpoint(_standing(request, org_slug), endpoint_id)
    actions.rotate_secret(found)
    messages.success(request, _("A new signing secret is in use from the next delivery on: give it to the receiver."))
    return redirect("webhooks:endpoint", org_slug=org_slug, endpoint_id=found.pk)


@login_required
@require_POST
def set_enabled(request: HttpRequest, org_slug: str, endpoint_id: int, enabled: bool) -> HttpResponse:
    """Enable or disable an endpoint (`enabled` comes from the URL: webhooks:enable, webhooks:disable)."""
    found = _endpoint(_standing(request, org_slug), endpoint_id)
    actions.set_enabled(found, enabled)
    if enabled:
        messages.success(request, _("Webhook endpoint enabled: its waiting messages go now."))
    else:
        messages.success(request, _("Webhook endpoint disabled: nothing is sent to it until you enable it."))
    return redirect("webhooks:endpoint", org_slug=org_slug, endpoint_id=found.pk)


@login_required
@require_POST
def send_test(request: HttpRequest, org_slug: str, endpoint_id: int) -> HttpResponse:
    found = _endpoint(_standing(request, org_slug), endpoint_id)
    if not found.enabled:
        messages.error(request, _("Enable the endpoint first: nothing is sent to a disabled endpoint."))
    else:
        actions.send_test(found)
        messages.success(request, _("A test message is on its way: it shows in the delivery log in a few seconds."))
    return redirect("webhooks:endpoint", org_slug=org_slug, endpoint_id=found.pk)


@login_required
@require_POST
def delete(request: HttpRequest, org_slug: str, endpoint_id: int) -> HttpResponse:
    found = _endpoint(_standing(request, org_slug), endpoint_id)
    actions.delete_endpoint(found)
    messages.success(request, _("Webhook endpoint deleted, with its delivery log."))
    return redirect("webhooks:endpoints", org_slug=org_slug)
