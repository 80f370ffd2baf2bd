"""The API keys of the tests, on the shared test world (consulta/testing.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.test import Client

from consulta.api import actions
from consulta.api.models import ApiKey
from consulta.consultations import actions as consultation_actions
from consulta.consultations.models import Consultation
from consulta.organisations.models import Clinic
from consulta.testing import World

# The cast of keys, in the order of the matrix's columns; each key is named by its label.
KEYS = ("read_all", "write_all", "read_alder", "write_names", "revoked", "other_org", "no_key", "malformed")


@dataclass
class Keys:
    tokens: dict[str, str | None]

    def client(self, name: str) -> Client:
        return api_client(self.tokens[name])


def api_client(token: str | None, **options: Any) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client(headers=headers, **options)


def make_keys(world: World) -> Keys:
    def key(
        name: str, access: str, names: bool = False, clinics: list[Clinic] | None = None, organisation: Any = None
    ) -> str:
        _key, token = actions.create_key(
            organisation or world.organisation,
            name=name,
            access=access,  # type: ignore[arg-type]
            can_see_names=names,
            clinics=clinics,
            created_by=None,
        )
        return token

    revoked = key("revoked", "write")
    actions.revoke_key(ApiKey.objects.get(secret_hash=ApiKey.hash_token(revoked)))
    return Keys(
        {
            "read_all": key("read_all", "read"),
            "write_all": key("write_all", "write"),
            "read_alder": key("read_alder", "read", clinics=[world.clinic_a]),
            "write_names": key("write_names", "write", names=True),
            "revoked": revoked,
            "other_org": key("other_org", "write", names=True, organisation=world.other_organisation),
            "no_key": None,
            "malformed": "csk_not-a-key",
        }
    )


def enter(clinic: Clinic, first_name: str = "Hana", last_name: str = "Hirvi", **extra: Any) -> Consultation:
    return consultation_actions.enter(
        clinic, first_name=first_name, last_name=last_name, phone="070-111 22 33", answers=[], **extra
    )
