"""Password reset is throttled per client address and per account, alike for unknown addresses."""

from __future__ import annotations

import html

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from consulta.testing import World, run_queued_tasks

pytestmark = pytest.mark.django_db

RESET_URL = reverse("accounts:password_reset")
DONE_URL = reverse("accounts:password_reset_done")


def rates(**changes: str) -> override_settings:
    return override_settings(RATE_LIMITS={**settings.RATE_LIMITS, **changes}, RATE_LIMITS_ENABLED=True, REDIS_URL="")


def reset(email: str, address: str = "198.51.100.7"):
    return Client().post(RESET_URL, {"email": email}, REMOTE_ADDR=address)


def test_resets_of_one_account_are_throttled_and_the_form_keeps_the_address(world: World) -> None:
    with rates(password_reset_account="3/hour", password_reset_address="100/hour"):
        sent = [reset(world.member.email, address=f"198.51.100.{n}") for n in range(3)]
        refused = reset(world.member.email.upper(), address="198.51.100.50")  # case does not dodge it
        other_account = reset(world.clerk.email, address="198.51.100.51")
    assert [response.status_code for response in sent] == [302, 302, 302]
    assert refused.status_code == 429
    assert 3500 < int(refused["Retry-After"]) <= 3600
    text = html.unescape(refused.content.decode())
    assert "Too many attempts. Please try again in 60 minutes." in text
    assert f'value="{world.member.email.upper()}"' in text
    assert other_account.status_code == 302
    assert run_queued_tasks() == 4
    assert sorted(message.to[0] for message in mail.outbox) == sorted([world.member.email] * 3 + [world.clerk.email])


def test_one_address_cannot_reset_many_accounts(world: World) -> None:
    people = [world.member, world.clerk, world.clinic_admin, world.org_admin]
    with rates(password_reset_address="3/hour", password_reset_account="100/hour"):
        statuses = [reset(person.email).status_code for person in people]
        elsewhere = reset(world.reporter.email, address="198.51.100.8")
    assert statuses == [302, 302, 302, 429]
    assert elsewhere.status_code == 302
    assert run_queued_tasks() == 4


def test_an_unknown_address_is_throttled_exactly_like_an_account(world: World) -> None:
    """The refusal must not tell which e-mail addresses have accounts."""
    with rates(password_reset_account="2/hour", password_reset_address="100/hour"):
        known = [reset(world.member.email, address=f"198.51.100.{n}") for n in range(3)]
        unknown = [reset("nobody@example.test", address=f"198.51.100.{n + 10}") for n in range(3)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [302, 302, 429]
    assert known[0]["Location"] == unknown[0]["Location"] == DONE_URL
    refused_known = html.unescape(known[2].content.decode()).replace(world.member.email, "EMAIL")
    refused_unknown = html.unescape(unknown[2].content.decode()).replace("nobody@example.test", "EMAIL")
    strip = ("csrfmiddlewaretoken",)
    assert [line for line in refused_known.splitlines() if not any(s in line for s in strip)] == [
        line for line in refused_unknown.splitlines() if not any(s in line for s in strip)
    ]
    assert run_queued_tasks() == 2  # the two to the real account, nothing to the unknown one
