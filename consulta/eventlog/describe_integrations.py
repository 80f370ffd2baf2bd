"""The audit trail's words for signing in and the integrations: two-factor login, single
sign-on, API keys and webhooks (the rest is in describe.py). Never a secret, a code or a URL."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event


def listed(names: Any, words: dict[str, str]) -> str:
    items = names if isinstance(names, list) else []
    return ", ".join(words.get(str(name), str(name).replace("_", " ")) for name in items)


def integration_summary(kind: Kind, event: Event) -> str:
    if kind.value.startswith("mfa."):  # two-factor login (consulta/twofactor)
        return _two_factor(kind, event)
    if kind in (Kind.SSO_CONFIGURED, Kind.SSO_LINKED, Kind.SIGN_IN_POLICY_CHANGED):  # consulta/sso
        return _single_sign_on(kind, event)
    if kind.value.startswith("webhook."):  # consulta/webhooks
        return _webhook(kind, event)
    if kind.value.startswith("api_key."):  # consulta/api
        return _api_key(kind, event)
    return ""


def _api_key(kind: Kind, event: Event) -> str:
    """ "API key “Bookings” (csk_ab12cd34) made: read only, patients' names, clinics alder". Never the secret."""
    data = event.data
    scope = []
    access = {"read": _("read only"), "write": _("read and write")}.get(str(data.get("access")))
    if access:
        scope.append(access)
    if data.get("names"):
        scope.append(_("patients' names"))
    clinics = data.get("clinics")
    if isinstance(clinics, list):
        scope.append(_("clinics %(clinics)s") % {"clinics": ", ".join(map(str, clinics))})
    elif clinics == "all":
        scope.append(_("every clinic"))
    words = (
        _("API key “%(name)s” (csk_%(prefix)s) made")
        if kind == Kind.API_KEY_CREATED
        else _("API key “%(name)s” (csk_%(prefix)s) revoked")
    )
    sentence = words % {"name": data.get("key", ""), "prefix": data.get("prefix", "")}
    return f"{sentence}: {', '.join(scope)}" if scope else sentence


def _two_factor(kind: Kind, event: Event) -> str:
    """Whose second factor an admin reset; how many recovery codes a sign-in left. Never a code."""
    if kind == Kind.MFA_RESET:
        return _("Two-factor login of %(person)s reset: their authenticator app and recovery codes deleted") % {
            "person": event.target_label
        }
    left = event.data.get("remaining")
    if kind == Kind.MFA_RECOVERY_CODE_USED and isinstance(left, int):
        return ngettext("%(count)d recovery code left", "%(count)d recovery codes left", left) % {"count": left}
    return ""


def _single_sign_on_fields() -> dict[str, str]:
    return {
        "display_name": _("provider name"),
        "issuer": _("issuer URL"),
        "client_id": _("client ID"),
        "client_secret": _("client secret"),
        "scopes": _("scopes"),
        "email_claim": _("e-mail claim"),
        "given_name_claim": _("given name claim"),
        "family_name_claim": _("family name claim"),
        "allowed_domains": _("allowed e-mail domains"),
        "trust_unverified_email": _("trust of unverified addresses"),
        "enabled": _("enabled"),
        "required": _("required for staff"),
    }


def _single_sign_on(kind: Kind, event: Event) -> str:
    """Which provider settings changed (never the secret's value), whose account was linked."""
    data = event.data
    if kind == Kind.SSO_CONFIGURED:
        return _("Single sign-on settings changed: %(fields)s") % {
            "fields": listed(data.get("changed"), _single_sign_on_fields())
        }
    if kind == Kind.SSO_LINKED:
        words = (
            _("Account made for %(person)s and linked to %(provider)s")
            if data.get("created_account")
            else _("%(person)s linked to %(provider)s")
        )
        return words % {"person": event.target_label, "provider": data.get("provider", "")}
    if "require_mfa" in data:
        return _("Two-factor login required") if data["require_mfa"] else _("Two-factor login no longer required")
    return ""


def _webhook_fields() -> dict[str, str]:
    return {
        "url": _("URL"),
        "description": _("description"),
        "event_types": _("event types"),
        "all_clinics": _("clinics"),
        "clinics": _("clinics"),
        "include_patient_names": _("patients' names in payloads"),
        "secret": _("signing secret (rotated)"),
        "enabled": _("enabled"),
    }


def _webhook(kind: Kind, event: Event) -> str:
    """Which endpoint, and which of its settings changed (never its URL's value nor its secret)."""
    number = event.subject.partition(":")[2]
    if kind == Kind.WEBHOOK_UPDATED:
        fields = listed(event.data.get("changed"), _webhook_fields())
        return _("Webhook endpoint #%(number)s changed: %(fields)s") % {"number": number, "fields": fields}
    if kind == Kind.WEBHOOK_DISABLED:
        return _("Webhook endpoint #%(number)s disabled: its deliveries kept failing") % {"number": number}
    return _("Webhook endpoint #%(number)s") % {"number": number} if number else ""
