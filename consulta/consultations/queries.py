"""Read-only views of the queue, shaped for the dashboard."""

from __future__ import annotations

from consulta.calls.messages import CallerCard
from consulta.consultations.models import QUEUE_ORDER, Consultation


def card(consultation: Consultation) -> CallerCard:
    return CallerCard(
        id=consultation.pk,
        version=consultation.version,
        name=consultation.name,
        phone=consultation.phone,
        answers=[(str(label), str(value)) for label, value in consultation.answers],
        status=consultation.status,  # type: ignore[arg-type]
        waiting_since=consultation.waiting_since.isoformat(),
        connected=consultation.connected,
        in_call_with=consultation.call_host_id,
        language=consultation.language,
        urgent=consultation.urgent_reason or None,
        urgent_label=str(consultation.get_urgent_reason_display()) if consultation.urgent_reason else None,
        urgent_since=consultation.urgent_since.isoformat() if consultation.urgent_since else None,
    )


def queue_cards(clinic_id: int) -> list[CallerCard]:
    """Every caller of one clinic: urgent callers first, then the longest waiting."""
    return [card(c) for c in Consultation.objects.filter(clinic_id=clinic_id).order_by(*QUEUE_ORDER)]
