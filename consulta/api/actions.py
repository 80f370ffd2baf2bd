"""Every change to API keys passes through here, with its event in the same transaction.

The secret exists only in `create_key`'s return value: the row keeps its SHA-256, and the
event names the key by its name and public prefix.
"""

from __future__ import annotations

import secrets
import string
from datetime import timedelta
from typing import Any, Literal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from consulta.accounts.models import User
from consulta.api.models import TOKEN_PREFIX, ApiKey
from consulta.eventlog.kinds import Kind
from consulta.eventlog.log import record
from consulta.organisations.models import Clinic, Organisation

_PREFIX_ALPHABET = string.ascii_lowercase + string.digits


def _new_prefix() -> str:
    while True:
        prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(8))
        if not ApiKey.objects.filter(prefix=prefix).exists():
            return prefix


def _scope(key: ApiKey) -> dict[str, Any]:
    """What the key may do, for the log: never its secret."""
    clinics = [] if key.all_clinics else sorted(key.clinics.values_list("slug", flat=True))
    return {
        "key": key.name,
        "prefix": key.prefix,
        "access": key.access,
        "names": key.can_see_names,
        "clinics": clinics or "all",
    }


def create_key(
    organisation: Organisation,
    *,
    name: str,
    access: Literal["read", "write"],
    can_see_names: bool,
    clinics: list[Clinic] | None,
    created_by: User | None,
) -> tuple[ApiKey, str]:
    """A new key and its secret (shown once). `clinics=None`: every clinic, later ones too."""
    if clinics is not None and any(clinic.organisation_id != organisation.pk for clinic in clinics):
        raise ValueError("an API key's clinics are its own organisation's")
    prefix = _new_prefix()
    token = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = ApiKey.objects.create(
            organisation=organisation,
            name=name.strip(),
            prefix=prefix,
            secret_hash=ApiKey.hash_token(token),
            access=access,
            can_see_names=can_see_names,
            all_clinics=clinics is None,
            created_by=created_by,
        )
        if clinics is not None:
            key.clinics.set(clinics)
        record(
            Kind.API_KEY_CREATED,
            organisation_id=organisation.pk,
            subject=f"apikey:{key.pk}",
            actor=created_by,
            data=_scope(key),
        )
    return key, token


def revoke_key(key: ApiKey) -> ApiKey:
    """From now on the key gets 401. Revoking twice changes nothing."""
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        if key.revoked_at is not None:
            return key
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        record(Kind.API_KEY_REVOKED, organisation_id=key.organisation_id, subject=f"apikey:{key.pk}", data=_scope(key))
    return key


def mark_used(key: ApiKey) -> None:
    """Note the key's use, at most once per API_KEY_LAST_USED_SECONDS: a read need not write each time."""
    now = timezone.now()
    every = timedelta(seconds=settings.API_KEY_LAST_USED_SECONDS)
    if key.last_used_at is not None and now - key.last_used_at < every:
        return
    # One UPDATE, conditional: two requests at the same moment write it once.
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - every)
    ApiKey.objects.filter(stale, pk=key.pk).update(last_used_at=now)
    key.last_used_at = now
