"""What the pre-call page and the entry page's check need from the server (their page-data JSON).

ICE servers come with TURN credentials of their own: a random peer id and a few minutes of
validity, so a credential copied out of a test page is of little use. They travel in the page's
page-data only, never in a URL.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from consulta.calls.actions import ice_servers
from consulta.calls.client import client_of, described
from consulta.precall.labels import entry_check_labels, precall_labels
from consulta.rooms.models import WaitingArea

TEST_CREDENTIAL_TTL_SECONDS = 5 * 60  # the test takes under a minute; room for "Check again"
PING_URL = "/ws/ping/"
# The model's defaults (healthdirect's levels): what the public page, with no clinic, applies.
DEFAULT_WARN_KBPS = WaitingArea._meta.get_field("bandwidth_warn_kbps").get_default()
DEFAULT_BLOCK_KBPS = WaitingArea._meta.get_field("bandwidth_block_kbps").get_default()
# Budgets of the bandwidth test per direction: the pre-call page may take its time, the entry
# page keeps the patient waiting as little as it can.
PRECALL_BUDGET_MS = 6000
ENTRY_BUDGET_MS = 4000
# The largest transfer of each: the pre-call page measures fast lines well; the entry check only
# tells the clinic's levels apart, and a patient on mobile data pays for every byte (at most
# some 0.3 MB each way instead of 1–2 MB: bench/page_weight.py).
PRECALL_MAX_TRANSFER_BYTES = 1024 * 1024  # the endpoints' own limit (views.MAX_TRANSFER_BYTES)
ENTRY_MAX_TRANSFER_BYTES = 256 * 1024


def relay_only() -> bool:
    """Whether the deployment allows relayed calls only (CALL_ICE_TRANSPORT_POLICY=relay)."""
    return settings.CALL_ICE_TRANSPORT_POLICY == "relay"


def ice_servers_for_test() -> list[dict[str, Any]]:
    return ice_servers(f"precall-{secrets.token_hex(8)}", ttl=TEST_CREDENTIAL_TTL_SECONDS)


def thresholds(area: WaitingArea | None) -> dict[str, int]:
    if area is None:
        return {"warnKbps": DEFAULT_WARN_KBPS, "blockKbps": DEFAULT_BLOCK_KBPS}
    return {"warnKbps": area.bandwidth_warn_kbps, "blockKbps": area.bandwidth_block_kbps}


def _transfer_urls() -> dict[str, str]:
    return {
        "pingUrl": PING_URL,
        "downloadUrl": reverse("precall:download"),
        "uploadUrl": reverse("precall:upload"),
    }


def precall_page_data(request: HttpRequest, area: WaitingArea | None = None) -> dict[str, Any]:
    return {
        **_transfer_urls(),
        "iceServers": ice_servers_for_test(),
        "relayOnly": relay_only(),
        "thresholds": thresholds(area),
        "host": request.get_host(),
        # "Chrome 156 on Android": the browser row's words (the summary keeps the full User-Agent).
        "browserName": described(client_of(request.headers.get("User-Agent", ""))),
        "budgetMs": PRECALL_BUDGET_MS,
        "maxTransferBytes": PRECALL_MAX_TRANSFER_BYTES,
        "labels": precall_labels(),
    }


def entry_check_data(request: HttpRequest, area: WaitingArea) -> dict[str, Any]:
    """The entry page's part: its thresholds, the report URL, and ICE servers only when a relay
    is required (the relay is checked then only)."""
    only_relay = relay_only()
    return {
        **_transfer_urls(),
        "iceServers": ice_servers_for_test() if only_relay else [],
        "relayOnly": only_relay,
        "thresholds": thresholds(area),
        "host": request.get_host(),
        "budgetMs": ENTRY_BUDGET_MS,
        "maxTransferBytes": ENTRY_MAX_TRANSFER_BYTES,
        "entryCheckUrl": reverse("precall:entry_check", args=[area.clinic.slug]),
        "precallUrl": reverse("precall:clinic_page", args=[area.clinic.slug]),
        "checkLabels": entry_check_labels(),
    }
