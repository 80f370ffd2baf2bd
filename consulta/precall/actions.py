"""Every state change of the pre-call app: only the entry check's record in the event log.

The public pre-call page records nothing."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from consulta.calls.client import client_of
from consulta.eventlog.kinds import Kind
from consulta.eventlog.log import record
from consulta.organisations.models import Clinic
from consulta.precall.schemas import EntryCheckReport


def record_entry_check(clinic: Clinic, report: EntryCheckReport, user_agent: str) -> None:
    """One completed check run of the patient entry page: the outcome and figures, naming nobody."""
    # The families only ("Chrome", "Android"), as in call.quality: never the raw User-Agent.
    client = client_of(user_agent)
    data: dict[str, Any] = {
        "outcome": report.outcome,
        "failed": list(report.failed),
        "warned": list(report.warned),
        "down_kbps": report.down_kbps,
        "up_kbps": report.up_kbps,
        "rtt_ms": report.rtt_ms,
        "browser": client.browser,
        "os": client.os,
    }
    with transaction.atomic():
        record(Kind.ENTRY_CHECK, clinic_id=clinic.pk, actor=None, data=data)
