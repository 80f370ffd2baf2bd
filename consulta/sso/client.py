"""Talking to an organisation's OpenID provider, through Authlib's Django client.

Authlib does the protocol: discovery, state and nonce (kept in the Django session), PKCE
(S256), the code exchange, the ID token's signature (the provider's JWKS) and its iss, aud,
exp and nonce. What is ours: a fresh client per provider (their settings change), a timeout
on every request, the discovery document's issuer must be the configured one, and every
failure becomes one `ProviderError` whose code is safe to log (no token, no personal data).
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from joserfc.errors import JoseError

from consulta.sso.models import IdentityProvider

logger = logging.getLogger(__name__)

# What a provider or the network may throw at us; each becomes a ProviderError. TypeError and
# AttributeError too: a discovery document or token answer of the wrong shape (a list, a string).
_FAILURES = (
    AuthlibBaseError,
    JoseError,
    requests.RequestException,
    ValueError,
    KeyError,
    RuntimeError,
    TypeError,
    AttributeError,
)


class ProviderError(Exception):
    """Signing in at the provider failed. `code`: a short word fit for the log, never a secret."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _app(provider: IdentityProvider) -> Any:
    oauth = OAuth()
    return oauth.register(
        name=f"sso-{provider.organisation_id}",  # the session keys of its state
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        server_metadata_url=provider.metadata_url,
        client_kwargs={
            "scope": provider.scopes,
            "code_challenge_method": "S256",
            "default_timeout": settings.SSO_HTTP_TIMEOUT,
        },
    )


def _failure(error: Exception) -> ProviderError:
    code = getattr(error, "error", None)
    return ProviderError(code if isinstance(code, str) and code.isidentifier() else type(error).__name__)


def _check_issuer(app: Any, provider: IdentityProvider) -> None:
    metadata = app.load_server_metadata()
    if metadata.get("issuer") != provider.issuer:
        # A discovery document of another issuer: its tokens would not be this provider's.
        raise ProviderError("issuer_mismatch")


def authorize_redirect(request: HttpRequest, provider: IdentityProvider, redirect_uri: str) -> HttpResponse:
    """The 302 to the provider's login, its state, nonce and PKCE verifier kept in the session."""
    try:
        app = _app(provider)
        _check_issuer(app, provider)
        response: HttpResponse = app.authorize_redirect(request, redirect_uri)
    except _FAILURES as error:
        raise _failure(error) from error
    return response


def claims_of(request: HttpRequest, provider: IdentityProvider) -> dict[str, Any]:
    """The validated claims of the person the provider sent back: the ID token's, and the
    userinfo endpoint's when the ID token lacks the e-mail (many providers keep it there)."""
    if request.GET.get("error"):
        code = request.GET["error"]
        raise ProviderError(code if code.isidentifier() else "provider_error")
    try:
        app = _app(provider)
        _check_issuer(app, provider)
        token = app.authorize_access_token(request)
        claims = dict(token.get("userinfo") or {})
        if not claims:
            raise ProviderError("no_id_token")
        if provider.email_claim not in claims:
            extra = dict(app.userinfo(token=token))
            if extra.get("sub") != claims.get("sub"):
                raise ProviderError("userinfo_subject_mismatch")  # OpenID Connect Core 5.3.2
            claims = {**extra, **claims}
    except _FAILURES as error:
        raise _failure(error) from error
    return claims
