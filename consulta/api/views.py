"""The organisation's API keys page: list, make (the secret shown once), revoke. Org admins only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from consulta.api import actions
from consulta.api.forms import ApiKeyForm
from consulta.api.models import ApiKey
from consulta.core.people import person
from consulta.organisations import access


def _standing(request: HttpRequest, org_slug: str) -> access.OrganisationAccess:
    return access.organisation_access(request.user, org_slug).require("can_manage_integrations")


@login_required
@require_http_methods(["GET", "POST"])
def keys(request: HttpRequest, org_slug: str) -> HttpResponse:
    standing = _standing(request, org_slug)
    organisation = standing.organisation
    form = ApiKeyForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        key, token = actions.create_key(
            organisation,
            name=form.cleaned_data["name"],
            access=form.cleaned_data["access"],
            can_see_names=form.cleaned_data["can_see_names"],
            clinics=form.chosen_clinics(),
            created_by=person(request),
        )
        # Rendered, not redirected to: the secret is in this answer only, never in a session or URL.
        context = {"standing": standing, "key": key, "token": token, "schema_url": reverse("api:api-v1:openapi-json")}
        return render(request, "api/key_created.html", context)
    rows = ApiKey.objects.filter(organisation=organisation).select_related("created_by").prefetch_related("clinics")
    context = {"standing": standing, "form": form, "keys": rows, "schema_url": reverse("api:api-v1:openapi-json")}
    return render(request, "api/keys.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def key_revoke(request: HttpRequest, org_slug: str, key_id: int) -> HttpResponse:
    """GET: are you sure? POST: the key stops working at once."""
    standing = _standing(request, org_slug)
    key = ApiKey.objects.filter(organisation=standing.organisation, pk=key_id).first()
    if key is None:
        raise Http404
    if request.method == "POST":
        actions.revoke_key(key)
        messages.success(request, _("API key “%(name)s” revoked: it no longer works.") % {"name": key.name})
        return redirect("api:keys", org_slug=org_slug)
    return render(request, "api/key_revoke.html", {"standing": standing, "key": key})
