"""A consultation's reference, kept when its row is deleted at its end (see models.ConsultationTrace).

The consultation's last events (left, ended, expired; a staff member leaving its call) are
drained a moment after its row is gone: their messages read the reference, and the names where
an endpoint may carry them, from the trace instead. Only organisations with an enabled endpoint
keep traces, and names only where one of those endpoints carries them.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from consulta.consultations.models import Consultation
from consulta.eventlog.log import organisation_of
from consulta.webhooks.models import ConsultationTrace, WebhookEndpoint


@receiver(pre_delete, sender=Consultation)
def keep_trace(sender: type[Consultation], instance: Consultation, **kwargs: Any) -> None:
    endpoints = WebhookEndpoint.objects.filter(organisation_id=organisation_of(instance.clinic_id), enabled=True)
    if not endpoints.exists():
        return
    names = endpoints.filter(include_patient_names=True).exists()
    ConsultationTrace.objects.update_or_create(
        consultation_id=instance.pk,
        defaults={
            "external_reference": instance.external_reference,
            "first_name": instance.first_name if names else "",
            "last_name": instance.last_name if names else "",
        },
    )
