"""Single sign-on: choosing the organisation by e-mail, the trip to its provider and back, and
the organisation admin's sign-in settings.

The CSP's `form-action 'self'` forbids a form POST that redirects to another origin, so the
choose form answers with a page and a plain link to `begin`, which alone redirects away.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from consulta.core import ratelimit
from consulta.core.client import client_address
from consulta.organisations import access
from consulta.sso import actions, client, linking
from consulta.sso.forms import ChooseForm, IdentityProviderForm, SignInPolicyForm
from consulta.sso.models import SETTINGS_FIELDS, IdentityProvider
from consulta.twofactor.flow import complete_sign_in

logger = logging.getLogger(__name__)

NEXT_SESSION_KEY = "sso_next"  # where to go after signing in, kept across the trip to the provider


def _safe_next(request: HttpRequest, value: str) -> str:
    allowed = url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return value if value and allowed else ""


def _too_many(request: HttpRequest) -> HttpResponse | None:
    refused = ratelimit.hit("sso_address", client_address(request))
    if refused is None:
        return None
    context = {"title": _("Please wait a moment"), "message": ratelimit.retry_message(refused)}
    response = render(request, "sso/problem.html", context, status=429)
    response["Retry-After"] = str(refused.retry_after)
    return response


def _enabled_provider(org_slug: str) -> IdentityProvider:
    """The organisation's provider for signing in; 404 without an enabled one (nothing revealed)."""
    provider = (
        IdentityProvider.objects.select_related("organisation")
        .filter(organisation__slug=org_slug, enabled=True)
        .first()
    )
    if provider is None:
        raise Http404
    return provider


def provider_for_email(email: str) -> IdentityProvider | None:
    domain = email.rpartition("@")[2].lower()
    for provider in IdentityProvider.objects.select_related("organisation").filter(enabled=True).order_by("pk"):
        if domain in provider.allowed_domains:
            return provider
    return None


def begin_url(provider: IdentityProvider, next_url: str = "") -> str:
    url = reverse("sso:begin", args=[provider.organisation.slug])
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


@require_http_methods(["GET", "POST"])
def choose(request: HttpRequest) -> HttpResponse:
    """Type your work e-mail; its domain names the organisation and its provider."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    form = ChooseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if (refused := _too_many(request)) is not None:
            return refused
        if form.is_valid():
            provider = provider_for_email(form.cleaned_data["email"])
            if provider is not None:
                context = {"provider": provider, "begin_url": begin_url(provider, next_url)}
                return render(request, "sso/continue.html", context)
            domain = form.cleaned_data["email"].rpartition("@")[2]
            form.add_error(
                "email",
                _(
                    "No organisation signs in with its own account for addresses at %(domain)s. "
                    "Check the address, or log in with your password."
                )
                % {"domain": domain},
            )
        status = 400
    return render(request, "sso/choose.html", {"form": form, "next": next_url}, status=status)


def _problem(request: HttpRequest, provider: IdentityProvider, error: client.ProviderError) -> HttpResponse:
    # The error's code only: never a token, a claim or the provider's own description.
    logger.warning("Single sign-on with %s failed: %s", provider.organisation.slug, error.code)
    message = (
        _("You cancelled signing in at %(provider)s, or it refused you.")
        if error.code in ("access_denied", "login_required", "consent_required")
        else _(
            "Signing in at %(provider)s did not work. Please try again; if it keeps failing, tell your administrator."
        )
    ) % {"provider": provider.display_name}
    context = {"title": _("Signing in did not work"), "message": message, "retry_url": begin_url(provider)}
    return render(request, "sso/problem.html", context, status=400)


@require_GET
def begin(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Off to the organisation's provider (its direct link, too, for admins to hand out)."""
    provider = _enabled_provider(org_slug)
    if (refused := _too_many(request)) is not None:
        return refused
    request.session[NEXT_SESSION_KEY] = _safe_next(request, request.GET.get("next", ""))
    redirect_uri = settings.BASE_URL + reverse("sso:callback", args=[org_slug])
    try:
        return client.authorize_redirect(request, provider, redirect_uri)
    except client.ProviderError as error:
        return _problem(request, provider, error)


def _refusal(reason: linking.Reason, provider: IdentityProvider) -> str:
    names = {"provider": provider.display_name, "organisation": provider.organisation.name}
    words = {
        "no_subject": _("%(provider)s did not say who you are. Tell your organisation's administrator."),
        "no_email": _("%(provider)s did not send your e-mail address. Tell your organisation's administrator."),
        "unverified_email": _("%(provider)s has not verified your e-mail address, so it cannot be linked."),
        "domain_not_allowed": _("%(organisation)s does not sign in addresses of your e-mail domain here."),
        "inactive": _("Your account is switched off. Ask the administrator of %(organisation)s."),
        "no_role": _("You have no role in %(organisation)s. Ask its administrator to invite you."),
    }
    return words[reason] % names


@require_GET
def callback(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Back from the provider: validated by Authlib, then linked by the rules of linking.py."""
    provider = _enabled_provider(org_slug)
    if (refused := _too_many(request)) is not None:
        return refused
    try:
        raw = client.claims_of(request, provider)
    except client.ProviderError as error:
        return _problem(request, provider, error)
    claims = linking.read_claims(provider, raw)
    decision = linking.decide(provider, claims) if isinstance(claims, linking.Claims) else None
    if decision is None or decision.outcome == "refuse":
        reason = claims if isinstance(claims, str) else decision.reason if decision else None
        assert reason is not None
        logger.info("Single sign-on with %s refused: %s", org_slug, reason)
        context = {"title": _("You cannot sign in here"), "message": _refusal(reason, provider)}
        return render(request, "sso/problem.html", context, status=403)
    user = actions.carry_out(provider, decision)
    next_url = _safe_next(request, str(request.session.pop(NEXT_SESSION_KEY, "") or ""))
    return complete_sign_in(request, user, via="sso", next_url=next_url)


@login_required
@require_http_methods(["GET", "POST"])
def sign_in_settings(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The organisation's identity provider and its "require two-factor login" switch."""
    standing = access.organisation_access(request.user, org_slug).require("can_manage_integrations")
    organisation = standing.organisation
    saved = IdentityProvider.objects.filter(organisation=organisation).first()
    which = request.POST.get("form") if request.method == "POST" else None
    provider_form = IdentityProviderForm(
        request.POST if which == "provider" else None,
        instance=saved or IdentityProvider(organisation=organisation),
        organisation=organisation,
    )
    policy_form = SignInPolicyForm(
        request.POST if which == "policy" else None, initial={"require_mfa": organisation.require_mfa}, prefix="policy"
    )
    if which == "provider" and provider_form.is_valid():
        values = {name: provider_form.cleaned_data[name] for name in SETTINGS_FIELDS}
        actions.save_provider(organisation, values, client_secret=provider_form.cleaned_data["client_secret"])
        messages.success(request, _("Single sign-on settings saved."))
        return redirect("sso:settings", org_slug=organisation.slug)
    if which == "policy" and policy_form.is_valid():
        actions.set_require_mfa(organisation, policy_form.cleaned_data["require_mfa"])
        messages.success(request, _("Sign-in requirements saved."))
        return redirect("sso:settings", org_slug=organisation.slug)
    context = {
        "standing": standing,
        "provider": saved,
        "provider_form": provider_form,
        "policy_form": policy_form,
        "direct_link": settings.BASE_URL + reverse("sso:begin", args=[organisation.slug]),
        "redirect_uri": settings.BASE_URL + reverse("sso:callback", args=[organisation.slug]),
    }
    return render(request, "sso/settings.html", context, status=400 if which else 200)
