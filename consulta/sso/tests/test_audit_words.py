"""How the audit trail words single sign-on's events (consulta/eventlog/describe.py)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from consulta.eventlog import describe
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event

ZONE = ZoneInfo("Europe/Stockholm")


@pytest.mark.parametrize(
    ("kind", "fields", "sentence"),
    [
        (Kind.SSO_CONFIGURED, {"data": {"changed": ["display_name", "client_secret", "allowed_domains"]}},
         "Single sign-on settings changed: provider name, client secret, allowed e-mail domains"),
        (Kind.SSO_LINKED, {"target_label": "mia@acme.test", "data": {"created_account": False, "provider": "Acme ID"}},
         "mia@acme.test linked to Acme ID"),
        (Kind.SSO_LINKED, {"target_label": "ivy@acme.test", "data": {"created_account": True, "provider": "Acme ID"}},
         "Account made for ivy@acme.test and linked to Acme ID"),
        (Kind.SIGN_IN_POLICY_CHANGED, {"data": {"changed": ["require_mfa"], "require_mfa": True}},
         "Two-factor login required"),
        (Kind.SIGN_IN_POLICY_CHANGED, {"data": {"changed": ["require_mfa"], "require_mfa": False}},
         "Two-factor login no longer required"),
        (Kind.SIGN_IN_POLICY_CHANGED, {"data": {}}, ""),
    ],
)  # fmt: skip
def test_single_sign_on_events_read_as_sentences(kind: Kind, fields: dict[str, object], sentence: str) -> None:
    with translation.override("en"):
        assert describe.summary(Event(kind=kind, **fields), ZONE) == sentence
