"""Who may open what: every management URL against every person of the test world.

The rules come from `consulta/organisations/access.py`:
- not logged in: a login-required page redirects to the login page (LOGIN);
- no relation to the organisation or clinic: 404, its existence is not revealed;
- a relation but not the role: 403;
- allowed: 200 for a page, and for a POST-only view a redirect after the change
  was made (DONE, a 302 anywhere but the login page).

Two kinds of row are deliberately different:
- the patient link (`consultations:entry`) and guest links (`rooms:guest`) are
  public by design: everyone, logged in or not, gets 200 (`public=True`);
- a user room (`/u/<token>/`) is for its owner only: everyone else gets 404,
  even the organisation admin (domain doc: "only the owner enters").

Each (row, person) pair is its own test, e.g.
`test_permission[organisations:clinic_settings-clerk]`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, reverse

from consulta.organisations import urls as organisation_urls
from consulta.rooms import urls as room_urls
from consulta.testing import PEOPLE, World

LOGIN = "LOGIN"  # 302 to the login page
DONE = "DONE"  # a successful POST: 302 somewhere other than the login page

Expected = int | str


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    args: Callable[[World], list[Any]]
    # One expectation per person, in the order of consulta.testing.PEOPLE:
    # org_admin, coordinator, reporter, clinic_admin, clerk, member, outsider, anonymous
    expected: tuple[Expected, ...]
    data: Callable[[World], dict[str, str]] = field(default=lambda w: {})
    variant: str = ""  # tells two rows of the same URL apart in test ids
    public: bool = False  # open to anyone by design (patient and guest links)

    @property
    def id(self) -> str:
        return f"{self.name}[{self.variant}]" if self.variant else self.name

    def expectation(self, person: str) -> Expected:
        return self.expected[PEOPLE.index(person)]


# URL arguments, from the test world.
def _none(w: World) -> list[Any]:
    return []


def _org(w: World) -> list[Any]:
    return [w.organisation.slug]


def _a(w: World) -> list[Any]:
    return [w.clinic_a.slug]


def _b(w: World) -> list[Any]:
    return [w.clinic_b.slug]


def _room(w: World) -> list[Any]:
    return [w.clinic_a.slug, w.meeting_room.pk]


def _room_link(w: World) -> list[Any]:
    return [w.clinic_a.slug, w.meeting_room.pk, w.guest_link.pk]


def _member(w: World) -> list[Any]:
    return [w.clinic_a.slug, w.membership(w.member).pk]


def _reporter(w: World) -> list[Any]:
    return [w.organisation.slug, w.organisation_membership(w.reporter).pk]


def _org_inv(w: World) -> list[Any]:
    return [w.organisation.slug, w.organisation_invitation.pk]


def _clinic_inv(w: World) -> list[Any]:
    return [w.clinic_a.slug, w.clinic_invitation.pk]


def _room_token(w: World) -> list[Any]:
    return [w.meeting_room.token]


def _user_room(w: World) -> list[Any]:
    return [w.user_room.token]


def _user_room_link(w: World) -> list[Any]:
    return [w.user_room.token, w.user_room_guest_link.pk]


def _guest(w: World) -> list[Any]:
    return [w.guest_link.token]


def _same_role(w: World) -> dict[str, str]:
    return {f"m{w.membership(w.member).pk}-role": "member"}


def _link_form(w: World) -> dict[str, str]:
    return {"label": "Matrix guest", "valid_days": "7"}


L, D = LOGIN, DONE
B = "clinic B"  # clinic A's team has no relation to clinic B


def get(name: str, args: Callable[[World], list[Any]], expected: tuple[Expected, ...], **options: Any) -> Row:
    return Row(name, "get", args, expected, **options)


def post(name: str, args: Callable[[World], list[Any]], expected: tuple[Expected, ...], **options: Any) -> Row:
    return Row(name, "post", args, expected, **options)


# fmt: off
TABLE: list[Row] = [
    # Expectations, in the order of PEOPLE: org_admin, coordinator, reporter, clinic_admin, clerk, member,
    # outsider, anonymous.  L: redirect to log in.  D: done, a redirect after the change.
    get("core:home",                                        _none,           (200, 200, 200, 200, 200, 200, 200, L)),
    get("organisations:organisation_home",                  _org,            (200, 200, 200, 403, 403, 403, 404, L)),
    get("organisations:clinic_create",                      _org,            (200, 200, 403, 403, 403, 403, 404, L)),
    get("organisations:people",                             _org,            (200, 403, 403, 403, 403, 403, 404, L)),
    get("organisations:roles",                              _org,            (200, 200, 403, 403, 403, 403, 404, L)),
    # Removes the reporter's organisation role, which admins and coordinators manage.
    post("organisations:role_remove",                       _reporter,       (D,   D,   403, 403, 403, 403, 404, L)),
    # The organisation invitation offers the reporter role: admins and coordinators manage it.
    post("organisations:organisation_invitation_resend",    _org_inv,        (D,   D,   403, 403, 403, 403, 404, L)),
    post("organisations:organisation_invitation_withdraw",  _org_inv,        (D,   D,   403, 403, 403, 403, 404, L)),
    get("organisations:clinic_home",                        _a,              (200, 200, 403, 200, 200, 200, 404, L)),
    get("organisations:clinic_home",                        _b,              (200, 200, 403, 404, 404, 404, 404, L),
        variant=B),
    get("organisations:clinic_settings",                    _a,              (200, 200, 403, 200, 403, 403, 404, L)),
    get("organisations:clinic_settings",                    _b,              (200, 200, 403, 404, 404, 404, 404, L),
        variant=B),
    get("organisations:clinic_team",                        _a,              (200, 403, 403, 200, 200, 403, 404, L)),
    # Sets the member's role to what it already is: harmless.
    post("organisations:membership_update",                 _member,         (D,   403, 403, D,   403, 403, 404, L),
        data=_same_role),
    post("organisations:membership_remove",                 _member,         (D,   403, 403, D,   403, 403, 404, L)),
    # The clinic invitation offers the team-member role, which clerks may hand out.
    post("organisations:clinic_invitation_resend",          _clinic_inv,     (D,   403, 403, D,   D,   403, 404, L)),
    post("organisations:clinic_invitation_withdraw",        _clinic_inv,     (D,   403, 403, D,   D,   403, 404, L)),
    get("rooms:manage",                                     _a,              (200, 200, 403, 200, 403, 403, 404, L)),
    get("rooms:edit",                                       _room,           (200, 200, 403, 200, 403, 403, 404, L)),
    get("rooms:delete",                                     _room,           (200, 200, 403, 200, 403, 403, 404, L)),
    post("rooms:guest_link_create",                         _room,           (D,   D,   403, D,   403, 403, 404, L),
        data=_link_form),
    post("rooms:guest_link_revoke",                         _room_link,      (D,   D,   403, D,   403, 403, 404, L)),
    # Toggles the member's user room off.
    post("rooms:user_room_toggle",                          _member,         (D,   403, 403, D,   403, 403, 404, L)),
    # Coordinators see the room's link (on rooms:manage) but may not use meeting rooms: 403.
    get("rooms:meeting_room",                               _room_token,     (200, 403, 403, 200, 200, 200, 404, L)),
    # Inviting into a meeting room's call by link: whoever may use the room.
    post("rooms:meeting_room_invite",                       _room_token,     (D,   403, 403, D,   D,   D,   404, L)),
    # The member's own user room: nobody else, however senior.
    get("rooms:user_room",                                  _user_room,      (404, 404, 404, 404, 404, 200, 404, L)),
    post("rooms:user_room_invite",                          _user_room,      (404, 404, 404, 404, 404, D,   404, L)),
    post("rooms:user_room_guest_link_revoke",               _user_room_link, (404, 404, 404, 404, 404, D,   404, L)),
    get("rooms:guest",                                      _guest,          (200, 200, 200, 200, 200, 200, 200, 200),
        public=True),
    # The waiting area lives in the consultations app: its dashboard and patient link.
    get("consultations:dashboard",                          _a,              (200, 200, 403, 200, 200, 200, 404, L)),
    get("consultations:dashboard",                          _b,              (200, 200, 403, 404, 404, 404, 404, L),
        variant=B),
    get("consultations:entry",                              _a,              (200, 200, 200, 200, 200, 200, 200, 200),
        public=True),
]
# fmt: on

NAMES_NOT_TO_REVEAL = ("Alder Clinic", "Birch Clinic", "Acme Care")

CELLS = [pytest.param(row, person, id=f"{row.id}-{person}") for row in TABLE for person in PEOPLE]


def _url_names(module: Any) -> set[str]:
    patterns: list[URLPattern] = module.urlpatterns
    return {f"{module.app_name}:{pattern.name}" for pattern in patterns}


def test_table_covers_every_management_url() -> None:
    """A new URL in organisations/urls.py or rooms/urls.py needs its row here.

    Rows for other apps' pages (the waiting area) are welcome too; each of them
    must still name a URL that exists, which `reverse` checks in every cell.
    """
    in_table = {row.name for row in TABLE}
    required = _url_names(organisation_urls) | _url_names(room_urls) | {"core:home"}
    assert not required - in_table, f"URLs without a row: {sorted(required - in_table)}"


def test_table_rows_are_complete_and_keep_outsiders_out() -> None:
    ids = [row.id for row in TABLE]
    assert len(ids) == len(set(ids)), "two rows share an id: give one a variant"
    for row in TABLE:
        assert len(row.expected) == len(PEOPLE), row.id
        assert row.method in ("get", "post"), row.id
        if not row.public and row.name != "core:home":
            assert row.expectation("outsider") == 404, f"{row.id}: the outsider must get 404"
            assert row.expectation("anonymous") == LOGIN, f"{row.id}: login is required"


@pytest.mark.parametrize(("row", "person"), CELLS)
def test_permission(world: World, row: Row, person: str) -> None:
    expected = row.expectation(person)
    url = reverse(row.name, args=row.args(world))
    client = world.client_for(person)
    response = client.post(url, row.data(world)) if row.method == "post" else client.get(url)

    login_url = reverse("accounts:login")
    if expected == LOGIN:
        assert response.status_code == 302, response
        assert response["Location"] == f"{login_url}?next={url}"
    elif expected == DONE:
        assert response.status_code == 302, response
        assert not response["Location"].startswith(login_url)
    else:
        assert response.status_code == expected, response

    body = response.content.decode()
    if expected == 404 or (person == "outsider" and not row.public):
        for name in NAMES_NOT_TO_REVEAL:
            assert name not in body, f"{name!r} revealed to {person} by {row.id}"


@pytest.mark.parametrize("row", [row for row in TABLE if row.method == "post"], ids=lambda row: row.id)
def test_post_only_views_refuse_get(world: World, row: Row) -> None:
    """The rows marked POST really are POST-only: a GET by someone allowed is 405."""
    allowed = next(person for person in PEOPLE if row.expectation(person) == DONE)
    response = world.client_for(allowed).get(reverse(row.name, args=row.args(world)))
    assert response.status_code == 405
