"""Read-only views of the queue, shaped for the dashboard."""

from __future__ import annotations

from consulta.calls.messages import CallerCard
from consulta.consultations.models import Consultation


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
    )


def queue_cards(clinic_id: int) -> list[CallerCard]:
    """Every caller of one clinic, longest waiting first."""
    return [card(c) for c in Consultation.objects.filter(clinic_id=clinic_id).order_by("waiting_since", "pk")]
