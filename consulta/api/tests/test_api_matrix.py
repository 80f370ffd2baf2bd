"""Every API endpoint against every kind of key: the exact status each gets.

Columns (consulta/api/tests/keys.py KEYS): a read key for every clinic, a write key for every
clinic, a read key for Alder Clinic only, a write key that may see names, a revoked key,
another organisation's key (the world's outsider organisation), no key, a malformed key.
Outside a key's organisation or clinic scope: 404, the same body as a row that does not exist.
A read key asking for a change it could see: 403. No key, a wrong one or a revoked one: 401.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from consulta.api.api import api
from consulta.api.tests.keys import KEYS, enter, make_keys
from consulta.testing import World

pytestmark = pytest.mark.django_db

NAMES_OF_ANOTHER = ("Alder Clinic", "Birch Clinic", "Hana", "Birgit")


@dataclass(frozen=True)
class Case:
    method: str
    template: str  # the schema's path, for the coverage check
    path: Callable[[World, dict[str, int]], str]
    expected: tuple[int, ...]  # in the order of KEYS
    body: dict[str, Any] | None = None
    variant: str = ""

    @property
    def id(self) -> str:
        return f"{self.method} {self.template}{f' [{self.variant}]' if self.variant else ''}"


def case(method: str, template: str, expected: tuple[int, ...], **options: Any) -> Case:
    path = options.pop("path", None) or (lambda w, ids: "/api/v1" + template.format(**ids))
    return Case(method, template, path, expected, **options)


LINK = {"first_name": "Pia", "last_name": "Patient", "external_reference": "booking-1"}
ROOM = {"name": "Case review"}
GUEST = {"label": "Interpreter", "valid_days": 1}

# fmt: off
CASES = [
    # read_all, write_all, read_alder, write_names, revoked, other_org, no_key, malformed
    case("get",  "/clinics",                              (200, 200, 200, 200, 401, 200, 401, 401)),
    case("get",  "/clinics/{alder}",                      (200, 200, 200, 200, 401, 404, 401, 401)),
    case("get",  "/clinics/{birch}",                      (200, 200, 404, 200, 401, 404, 401, 401), variant="Birch"),
    case("get",  "/clinics/{oak}",                        (404, 404, 404, 404, 401, 200, 401, 401), variant="Oak"),
    case("get",  "/clinics/{nowhere}",                    (404, 404, 404, 404, 401, 404, 401, 401), variant="none"),
    case("get",  "/clinics/{alder}/waiting-area",         (200, 200, 200, 200, 401, 404, 401, 401)),
    case("get",  "/clinics/{birch}/waiting-area",         (200, 200, 404, 200, 401, 404, 401, 401), variant="Birch"),
    case("post", "/clinics/{alder}/patient-links",        (403, 201, 403, 201, 401, 404, 401, 401), body=LINK),
    case("post", "/clinics/{birch}/patient-links",        (403, 201, 404, 201, 401, 404, 401, 401), body=LINK,
         variant="Birch"),
    case("get",  "/consultations",                        (200, 200, 200, 200, 401, 200, 401, 401)),
    case("get",  "/consultations/{alder_caller}",         (200, 200, 200, 200, 401, 404, 401, 401)),
    case("get",  "/consultations/{birch_caller}",         (200, 200, 404, 200, 401, 404, 401, 401), variant="Birch"),
    case("get",  "/consultations/{missing}",              (404, 404, 404, 404, 401, 404, 401, 401), variant="none"),
    case("post", "/consultations/{alder_caller}/end",     (403, 200, 403, 200, 401, 404, 401, 401)),
    case("post", "/consultations/{birch_caller}/end",     (403, 200, 404, 200, 401, 404, 401, 401), variant="Birch"),
    case("get",  "/consultation-records",                 (200, 200, 200, 200, 401, 200, 401, 401)),
    case("get",  "/reports",                              (200, 200, 200, 200, 401, 200, 401, 401)),
    case("get",  "/reports?clinic={birch}",               (200, 200, 404, 200, 401, 404, 401, 401), variant="Birch"),
    case("get",  "/clinics/{alder}/meeting-rooms",        (200, 200, 200, 200, 401, 404, 401, 401)),
    case("post", "/clinics/{alder}/meeting-rooms",        (403, 201, 403, 201, 401, 404, 401, 401), body=ROOM),
    case("get",  "/meeting-rooms/{room}/guest-links",     (200, 200, 200, 200, 401, 404, 401, 401)),
    case("post", "/meeting-rooms/{room}/guest-links",     (403, 201, 403, 201, 401, 404, 401, 401), body=GUEST),
    case("post", "/guest-links/{link}/revoke",            (403, 200, 403, 200, 401, 404, 401, 401)),
    # A user room's guest link is its owner's business: no key reaches it.
    case("post", "/guest-links/{user_room_link}/revoke",  (404, 404, 404, 404, 401, 404, 401, 401),
         variant="user room"),
    # The schema is public: it holds no data.
    case("get",  "/openapi.json",                         (200, 200, 200, 200, 200, 200, 200, 200)),
]
# fmt: on

CELLS = [pytest.param(c, key, id=f"{c.id}-{key}") for c in CASES for key in KEYS]


def _ids(world: World) -> dict[str, Any]:
    return {
        "alder": world.clinic_a.slug,
        "birch": world.clinic_b.slug,
        "oak": world.other_clinic.slug,
        "nowhere": "nowhere",
        "alder_caller": enter(world.clinic_a).pk,
        "birch_caller": enter(world.clinic_b, "Birgit").pk,
        "missing": 999_999,
        "room": world.meeting_room.pk,
        "link": world.guest_link.pk,
        "user_room_link": world.user_room_guest_link.pk,
    }


@pytest.mark.parametrize(("row", "key"), CELLS)
def test_api_permission(world: World, row: Case, key: str) -> None:
    keys = make_keys(world)
    url = row.path(world, _ids(world))
    client = keys.client(key)
    if row.method == "post":
        response = client.post(url, json.dumps(row.body or {}), content_type="application/json")
    else:
        response = client.get(url)
    expected = row.expected[KEYS.index(key)]
    assert response.status_code == expected, response.content
    assert response["Content-Type"].startswith("application/json")
    if expected >= 400:
        assert isinstance(response.json()["detail"], str)
    if expected == 404 or key == "other_org":
        body = response.content.decode()
        for name in NAMES_OF_ANOTHER:
            assert name not in body, f"{name!r} revealed to {key} by {row.id}"
    if expected == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_every_operation_of_the_schema_is_in_the_matrix() -> None:
    schema = api.get_openapi_schema()
    operations = {(method, path) for path, item in schema["paths"].items() for method in item}
    covered = {(c.method, "/api/v1" + c.template.split("?")[0]) for c in CASES}
    templates = {(m, p.replace("{slug}", "{alder}")) for m, p in operations}
    missing = {(m, p) for m, p in templates if not any(m == cm and _same_shape(p, cp) for cm, cp in covered)}
    assert not missing, f"operations without a row: {sorted(missing)}"


def _same_shape(schema_path: str, row_path: str) -> bool:
    """/clinics/{slug} and /clinics/{birch} are the same operation."""
    a, b = schema_path.split("/"), row_path.split("/")
    if len(a) != len(b):
        return False
    return all(x == y or (x.startswith("{") and y.startswith("{")) for x, y in zip(a, b, strict=True))
