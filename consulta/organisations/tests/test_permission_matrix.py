"""Who may open what: every URL and every WebSocket route against every person of the test world.

The rules come from `consulta/organisations/access.py`:
- not logged in: a login-required page redirects to the login page (LOGIN);
- no relation to the organisation or clinic: 404, its existence is not revealed;
- a relation but not the role: 403;
- allowed: 200 for a page, and for a POST-only view a redirect after the change
  was made (DONE, a 302 anywhere but the login page) or, for the views a script
  calls, the 200 of their JSON answer.

What is deliberately different:
- public routes (`PUBLIC`, each with its reason): the patient link, the short link,
  the patient's space and the invitee's page by their tokens, guest links, login,
  password reset, health, the language switcher. No login is needed, so the token
  is the key: a row with a wrong token proves that it answers 404;
- a user room (`/u/<token>/`) is for its owner only: everyone else gets 404,
  even the organisation admin (domain doc: "only the owner enters");
- a waiting-area caller belongs to one clinic: the same caller id under another
  clinic's slug is 404 for everyone, however senior;
- the Django admin is for staff accounts (`createsuperuser`), and nobody of the
  cast is one, the organisation admin included: every admin URL sends everyone to
  the admin's login (`ADMIN_ROWS`, generated from the resolver).

Each (row, person) pair of the HTTP table is its own test, e.g.
`test_permission[organisations:clinic_settings-clerk]`; each socket row is one test
that opens the socket as all eight people, e.g. `test_socket_permission[queue]`.

The coverage guard (`test_every_url_and_socket_route_has_a_row_or_is_public`) walks
the whole URL resolver and every route of `consulta.routing.websocket_urlpatterns`:
a new URL or socket needs its row here, or a place in the public list with a reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from consulta.accounts.models import User
from consulta.api.api import url_patterns as api_url_patterns
from consulta.consultations import actions
from consulta.consultations.models import Consultation
from consulta.consultations.tests.sockets import (
    SAME_ORIGIN,
    TIMEOUT,
    Headers,
    Sockets,
    call_path,
    enter,
    patient_path,
    queue_path,
    run,
    staff_headers,
)
from consulta.rooms.tests.rooms import guest_path, room_path, user_room_path
from consulta.routing import websocket_urlpatterns
from consulta.testing import PEOPLE, World

LOGIN = "LOGIN"  # 302 to the login page
DONE = "DONE"  # a successful POST: 302 somewhere other than the login page
ADMIN_LOGIN = "ADMIN_LOGIN"  # 302 to the Django admin's own login page

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
    post_only: bool = True  # a POST row whose GET answers 405 (the patient's "leave" redirects instead)

    @property
    def public(self) -> bool:
        """Open to anyone by design (patient and guest links, login, ...): see PUBLIC."""
        return self.name in PUBLIC

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


def _mfa_member(w: World) -> list[Any]:
    return [w.organisation.slug, w.member.pk]


def _mfa_outsider(w: World) -> list[Any]:
    return [w.organisation.slug, w.outsider.pk]


def _room_token(w: World) -> list[Any]:
    return [w.meeting_room.token]


def _user_room(w: World) -> list[Any]:
    return [w.user_room.token]


def _user_room_link(w: World) -> list[Any]:
    return [w.user_room.token, w.user_room_guest_link.pk]


def _guest(w: World) -> list[Any]:
    return [w.guest_link.token]


WRONG_TOKEN = "no-such-token-0123456789abcdefghijklmnop"
WRONG = "wrong token"  # the variant of a row that proves a made-up token opens nothing


def _wrong(w: World) -> list[Any]:
    return [WRONG_TOKEN]


def _wrong_with_id(w: World) -> list[Any]:
    return [WRONG_TOKEN, w.user_room_guest_link.pk]


def _wrong_slug(w: World) -> list[Any]:
    return ["no-such-clinic"]


def _short(w: World) -> list[Any]:
    return [w.clinic_a.waiting_area.short_code]


def _wrong_short(w: World) -> list[Any]:
    return ["ZZZZZZZZ"]


# Waiting-area callers: made in the test that needs them, one world (and caller) per test.
def caller(w: World) -> Consultation:
    """Carl, waiting in clinic A (Alder)."""
    found = Consultation.objects.filter(clinic=w.clinic_a, last_name="Caller").first()
    return found or enter(w.clinic_a, "Carl", "Caller")


def second_caller(w: World) -> Consultation:
    """Hana, waiting in clinic A too: the call Carl is added to."""
    found = Consultation.objects.filter(clinic=w.clinic_a, last_name="Host").first()
    return found or enter(w.clinic_a, "Hana", "Host")


def birch_caller(w: World) -> Consultation:
    """Bo, waiting in clinic B (Birch), where clinic A's team has no place."""
    found = Consultation.objects.filter(clinic=w.clinic_b, last_name="Birchwait").first()
    return found or enter(w.clinic_b, "Bo", "Birchwait")


def _caller_a(w: World) -> list[Any]:
    return [w.clinic_a.slug, caller(w).pk]


def _caller_under_b(w: World) -> list[Any]:
    """Clinic A's caller under clinic B's slug: the slug must match the caller's clinic."""
    return [w.clinic_b.slug, caller(w).pk]


def _add_a(w: World) -> list[Any]:
    return [w.clinic_a.slug, caller(w).pk, second_caller(w).pk]


def _add_under_b(w: World) -> list[Any]:
    return [w.clinic_b.slug, caller(w).pk, second_caller(w).pk]


def _space(w: World) -> list[Any]:
    return [caller(w).token]


def call_invite_token(w: World) -> str:
    """A link into Carl's call, made by the team member."""
    return actions.invite_to_call(caller(w), w.member).token


def _call_invite(w: World) -> list[Any]:
    return [call_invite_token(w)]


def _team_invitation(w: World) -> list[Any]:
    return [w.clinic_invitation.token]


def _notice(w: World) -> dict[str, str]:
    return {"text": "Back in five minutes."}


def _urgent(w: World) -> dict[str, str]:
    return {"reason": "clinical_concern"}


def _to_birch(w: World) -> dict[str, str]:
    # Organisation admins and coordinators may send callers to clinic B; clinic A's team may
    # not (no place there), and is answered with a redirect saying so: past the access check either way.
    return {"clinic": w.clinic_b.slug}


def _prefill(w: World) -> dict[str, str]:
    return {"prefill-first_name": "Pia", "prefill-last_name": "Prefilled", "prefill-phone": ""}


def _same_role(w: World) -> dict[str, str]:
    return {f"m{w.membership(w.member).pk}-role": "member"}


def _link_form(w: World) -> dict[str, str]:
    return {"label": "Matrix guest", "valid_days": "7"}


def _own_alerts(w: World) -> dict[str, str]:
    return {"new_caller_email": "on", "phone": ""}


def _escalation(w: World) -> dict[str, str]:
    return {"escalation-team_after_minutes": "5", "escalation-admin_after_minutes": "15"}


def _api_key(w: World) -> list[Any]:
    from consulta.api.actions import create_key

    key, _secret = create_key(
        w.organisation, name="Bookings", access="read", can_see_names=False, clinics=None, created_by=w.org_admin
    )
    return [w.organisation.slug, key.pk]


def _api_key_form(w: World) -> dict[str, str]:
    return {"name": "Bookings", "access": "write", "clinic_scope": "all"}


def _webhook(w: World) -> list[Any]:
    from consulta.webhooks.actions import create_endpoint

    endpoint = create_endpoint(w.organisation, url="https://hooks.example.org/", event_types=["consultation.entered"])
    return [w.organisation.slug, endpoint.pk]


def _webhook_form(w: World) -> dict[str, Any]:
    return {"url": "https://hooks.example.org/in", "event_types": ["consultation.entered"], "scope": "all"}


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
    get("rooms:meeting_room",                               _wrong,          (404, 404, 404, 404, 404, 404, 404, L),
        variant=WRONG),
    post("rooms:meeting_room_invite",                       _wrong,          (404, 404, 404, 404, 404, 404, 404, L),
        variant=WRONG),
    get("rooms:user_room",                                  _wrong,          (404, 404, 404, 404, 404, 404, 404, L),
        variant=WRONG),
    post("rooms:user_room_invite",                          _wrong,          (404, 404, 404, 404, 404, 404, 404, L),
        variant=WRONG),
    post("rooms:user_room_guest_link_revoke",               _wrong_with_id,  (404, 404, 404, 404, 404, 404, 404, L),
        variant=WRONG),
    get("rooms:guest",                                      _guest,          (200, 200, 200, 200, 200, 200, 200, 200)),
    get("rooms:guest",                                      _wrong,          (404, 404, 404, 404, 404, 404, 404, 404),
        variant=WRONG),
    # The waiting area lives in the consultations app: its dashboard and patient link.
    get("consultations:dashboard",                          _a,              (200, 200, 403, 200, 200, 200, 404, L)),
    get("consultations:dashboard",                          _b,              (200, 200, 403, 404, 404, 404, 404, L),
        variant=B),
    get("consultations:settings",                           _a,              (200, 200, 403, 200, 403, 403, 404, L)),
    get("consultations:settings",                           _b,              (200, 200, 403, 404, 404, 404, 404, L),
        variant=B),
    # The one-click link for a known patient: whoever may use the waiting area (a JSON answer).
    post("consultations:prefill_link",                      _a,              (200, 200, 403, 200, 200, 200, 404, L),
        data=_prefill),
    post("consultations:prefill_link",                      _b,              (200, 200, 403, 404, 404, 404, 404, L),
        data=_prefill, variant=B),
    # A caller of clinic A, acted on: whoever may use its waiting area (reporters may not: 404,
    # access.consultation_for); under clinic B's slug the same caller id is 404 for everyone.
    get("consultations:call",                               _caller_a,       (200, 200, 404, 200, 200, 200, 404, L)),
    get("consultations:call",                               _caller_under_b, (404, 404, 404, 404, 404, 404, 404, L),
        variant=B),
    post("consultations:join",                              _caller_a,       (D,   D,   404, D,   D,   D,   404, L)),
    post("consultations:join",                              _caller_under_b, (404, 404, 404, 404, 404, 404, 404, L),
        variant=B),
    post("consultations:hold",                              _caller_a,       (D,   D,   404, D,   D,   D,   404, L)),
    post("consultations:hold",                              _caller_under_b, (404, 404, 404, 404, 404, 404, 404, L),
        variant=B),
    post("consultations:notify",                            _caller_a,       (D,   D,   404, D,   D,   D,   404, L),
        data=_notice),
    post("consultations:notify",                            _caller_under_b, (404, 404, 404, 404, 404, 404, 404, L),
        data=_notice, variant=B),
    post("consultations:transfer",                          _caller_a,       (D,   D,   404, D,   D,   D,   404, L),
        data=_to_birch),
    post("consultations:transfer",                          _caller_under_b, (404, 404, 404, 404, 404, 404, 404, L),
        data=_to_birch, variant=B),
    post("consultations:end",                               _caller_a,       (D,   D,   404, D,   D,   D,   404, L)),
    post("consultations:end",                               _caller_under_b, (404, 404, 404, 404, 404, 404, 404, L),
        variant=B),
    # A link into the caller's call for an interpreter or a relative (a JSON answer).
    post("consultations:invite",                            _caller_a,       (200, 200, 404, 200, 200, 200, 404, L)),
    post("consultations:invite",                            _caller_under_b, (404, 404, 404, 404, 404, 404, 404, L),
        variant=B),
    # Carl into Hana's call.
    post("consultations:add_to_call",                       _add_a,          (D,   D,   404, D,   D,   D,   404, L)),
    post("consultations:add_to_call",                       _add_under_b,    (404, 404, 404, 404, 404, 404, 404, L),
        variant=B),
    # --- Reports (consulta/reports): organisation admins, coordinators, reporters; clinic admins for their clinic.
    get("reports:organisation",                             _org,            (200, 200, 200, 403, 403, 403, 404, L)),
    get("reports:export_organisation",                      lambda w: [w.organisation.slug, "csv"],
        (200, 200, 200, 403, 403, 403, 404, L), variant="csv"),
    get("reports:export_organisation",                      lambda w: [w.organisation.slug, "xlsx"],
        (200, 200, 200, 403, 403, 403, 404, L), variant="xlsx"),
    get("reports:clinic",                                   _a,              (200, 200, 200, 200, 403, 403, 404, L)),
    get("reports:clinic",                                   _b,              (200, 200, 200, 404, 404, 404, 404, L),
        variant=B),
    get("reports:export_clinic",                            lambda w: [w.clinic_a.slug, "csv"],
        (200, 200, 200, 200, 403, 403, 404, L), variant="csv"),
    get("reports:export_clinic",                            lambda w: [w.clinic_a.slug, "xlsx"],
        (200, 200, 200, 200, 403, 403, 404, L), variant="xlsx"),
    get("reports:export_clinic",                            lambda w: [w.clinic_b.slug, "csv"],
        (200, 200, 200, 404, 404, 404, 404, L), variant=f"{B}, csv"),
    # --- end of reports rows
    # --- Audit trail (consulta/eventlog): organisation admins for all, clinic admins for their clinic.
    get("eventlog:organisation_audit",                      _org,            (200, 403, 403, 403, 403, 403, 404, L)),
    get("eventlog:organisation_audit_csv",                  _org,            (200, 403, 403, 403, 403, 403, 404, L)),
    get("eventlog:clinic_audit",                            _a,              (200, 403, 403, 200, 403, 403, 404, L)),
    get("eventlog:clinic_audit",                            _b,              (200, 403, 403, 404, 404, 404, 404, L),
        variant=B),
    get("eventlog:clinic_audit_csv",                        _a,              (200, 403, 403, 200, 403, 403, 404, L)),
    get("eventlog:clinic_audit_csv",                        _b,              (200, 403, 403, 404, 404, 404, 404, L),
        variant=B),
    # --- end of audit rows
    # --- Alerts (consulta/alerts): each person their own; a clinic's escalation by who configures it.
    get("alerts:settings",                                  _a,              (200, 200, 403, 200, 200, 200, 404, L)),
    get("alerts:settings",                                  _b,              (200, 200, 403, 404, 404, 404, 404, L),
        variant=B),
    # Each person's own alerts, set on the same page (so not POST-only).
    post("alerts:settings",                                 _a,              (D,   D,   403, D,   D,   D,   404, L),
        data=_own_alerts, post_only=False, variant="saving"),
    post("alerts:settings",                                 _b,              (D,   D,   403, 404, 404, 404, 404, L),
        data=_own_alerts, post_only=False, variant=f"saving, {B}"),
    post("alerts:escalation",                               _a,              (D,   D,   403, D,   403, 403, 404, L),
        data=_escalation),
    post("alerts:escalation",                               _b,              (D,   D,   403, 404, 404, 404, 404, L),
        data=_escalation, variant=B),
    # --- end of alerts rows
    # --- Triage (consultations): marking a waiting caller urgent.
    # Whoever may use the waiting area, as for hold (access.consultation_for); under clinic B's slug, nobody.
    post("consultations:urgent",                            _caller_a,       (D,   D,   404, D,   D,   D,   404, L),
        data=_urgent),
    post("consultations:urgent",                            _caller_under_b, (404, 404, 404, 404, 404, 404, 404, L),
        data=_urgent, variant=B),
    # --- end of triage rows
    # --- Pre-call test (consulta/precall): public by design (see PUBLIC), the same answer for everyone.
    get("precall:page",                                     _none,           (200, 200, 200, 200, 200, 200, 200, 200)),
    get("precall:clinic_page",                              _a,              (200, 200, 200, 200, 200, 200, 200, 200)),
    get("precall:clinic_page",                              _wrong_slug,     (404, 404, 404, 404, 404, 404, 404, 404),
        variant=WRONG),
    # Without ?bytes=N, a bad size: 400 for everyone (sizes, 413 and 429: consulta/precall/tests).
    get("precall:download",                                 _none,           (400, 400, 400, 400, 400, 400, 400, 400)),
    # A form-encoded body is not the octet-stream the test uploads: 400 for everyone.
    post("precall:upload",                                  _none,           (400, 400, 400, 400, 400, 400, 400, 400)),
    # The entry page's check report: a form-encoded body is not its JSON, 400 for everyone.
    post("precall:entry_check",                             _a,              (400, 400, 400, 400, 400, 400, 400, 400)),
    post("precall:entry_check",                             _wrong_slug,     (404, 404, 404, 404, 404, 404, 404, 404),
        variant=WRONG),
    # --- end of pre-call rows
    # --- Public by design (see PUBLIC): a token or a slug is the key, and a wrong one opens nothing.
    get("consultations:entry",                              _a,              (200, 200, 200, 200, 200, 200, 200, 200)),
    get("consultations:entry",                              _wrong_slug,     (404, 404, 404, 404, 404, 404, 404, 404),
        variant=WRONG),
    get("consultations:short",                              _short,          (D,   D,   D,   D,   D,   D,   D,   D)),
    get("consultations:short",                              _wrong_short,    (404, 404, 404, 404, 404, 404, 404, 404),
        variant=WRONG),
    get("consultations:space",                              _space,          (200, 200, 200, 200, 200, 200, 200, 200)),
    get("consultations:space",                              _wrong,          (404, 404, 404, 404, 404, 404, 404, 404),
        variant=WRONG),
    # Leaving answers every token with the same "you have left" page (a second click after
    # leaving included): a wrong token leaves nobody and reveals nothing
    # (test_leaving_with_a_wrong_token_touches_no_caller).
    post("consultations:leave",                             _space,          (200, 200, 200, 200, 200, 200, 200, 200),
        post_only=False),
    post("consultations:leave",                             _wrong,          (200, 200, 200, 200, 200, 200, 200, 200),
        post_only=False, variant=WRONG),
    get("consultations:join_by_invite",                     _call_invite,    (200, 200, 200, 200, 200, 200, 200, 200)),
    get("consultations:join_by_invite",                     _wrong,          (404, 404, 404, 404, 404, 404, 404, 404),
        variant=WRONG),
    # An invitation to clinic A's team, for invited.member@acme.test: any other account is
    # refused (403); nobody logged in is offered to sign up as that address.
    get("accounts:invitation",                              _team_invitation, (403, 403, 403, 403, 403, 403, 403, 200)),
    get("accounts:invitation",                              _wrong,          (404, 404, 404, 404, 404, 404, 404, 404),
        variant=WRONG),
    # --- Sign-in: single sign-on (consulta/sso) ---
    # Public by design (see PUBLIC): choosing the organisation by e-mail. Beginning and the callback
    # need an organisation with an enabled provider, which Acme lacks: 404 for all (consulta/sso/tests).
    get("sso:choose",                                       _none,           (200, 200, 200, 200, 200, 200, 200, 200)),
    get("sso:begin",                                        _org,            (404, 404, 404, 404, 404, 404, 404, 404)),
    get("sso:begin",                                        _wrong_slug,     (404, 404, 404, 404, 404, 404, 404, 404),
        variant=WRONG),
    get("sso:callback",                                     _org,            (404, 404, 404, 404, 404, 404, 404, 404)),
    get("sso:callback",                                     _wrong_slug,     (404, 404, 404, 404, 404, 404, 404, 404),
        variant=WRONG),
    # The sign-in settings: organisation admins only (can_manage_integrations).
    get("sso:settings",                                     _org,            (200, 403, 403, 403, 403, 403, 404, L)),
    post("sso:settings",                                    _org,            (D,   403, 403, 403, 403, 403, 404, L),
        data=lambda w: {"form": "policy", "policy-require_mfa": ""}, post_only=False, variant="saving"),
    # --- Sign-in: two-factor login (consulta/twofactor) ---
    # Each person's own security page (see OWN_ACCOUNT): nobody of the world has an authenticator,
    # so removing and new recovery codes answer with a redirect to it, saying there is nothing to do.
    get("twofactor:security",                               _none,           (200, 200, 200, 200, 200, 200, 200, L)),
    post("twofactor:remove",                                _none,           (D,   D,   D,   D,   D,   D,   D,   L)),
    post("twofactor:recovery_codes",                        _none,           (D,   D,   D,   D,   D,   D,   D,   L)),
    # An organisation admin resets the member's second factor (a confirmation page, then the POST).
    get("twofactor:admin_reset",                            _mfa_member,     (200, 403, 403, 403, 403, 403, 404, L)),
    post("twofactor:admin_reset",                           _mfa_member,     (D,   403, 403, 403, 403, 403, 404, L),
        post_only=False, variant="resetting"),
    # A person with no role in Acme Care (the outsider): 404 even for its admin.
    get("twofactor:admin_reset",                            _mfa_outsider,   (404, 403, 403, 403, 403, 403, 404, L),
        variant="not of the organisation"),
    # --- API keys (consulta/api) ---
    # The organisation's API keys page: its admins only (can_manage_integrations).
    get("api:keys",                                         _org,            (200, 403, 403, 403, 403, 403, 404, L)),
    # Making a key answers its one-time page (200), not a redirect: the secret is in that answer only.
    post("api:keys",                                        _org,            (200, 403, 403, 403, 403, 403, 404, L),
        data=_api_key_form, post_only=False, variant="making a key"),
    # GET asks "are you sure?", POST revokes.
    get("api:key_revoke",                                   _api_key,        (200, 403, 403, 403, 403, 403, 404, L)),
    post("api:key_revoke",                                  _api_key,        (D,   403, 403, 403, 403, 403, 404, L),
        post_only=False, variant="revoking"),
    # The REST API itself (see PUBLIC): a session authenticates nobody there, however senior: 401.
    get("api:api-v1:clinics",                               _none,           (401,) * 8, variant="a session is no key"),
    post("api:api-v1:patient_links",                        _a,              (401,) * 8, variant="a session is no key"),
    # --- Webhooks (consulta/webhooks) ---
    # The organisation's webhook endpoints and each one's page: its admins only (can_manage_integrations).
    get("webhooks:endpoints",                               _org,            (200, 403, 403, 403, 403, 403, 404, L)),
    post("webhooks:endpoints",                              _org,            (D,   403, 403, 403, 403, 403, 404, L),
        data=_webhook_form, post_only=False, variant="adding"),
    get("webhooks:endpoint",                                _webhook,        (200, 403, 403, 403, 403, 403, 404, L)),
    post("webhooks:endpoint",                               _webhook,        (D,   403, 403, 403, 403, 403, 404, L),
        data=_webhook_form, post_only=False, variant="saving"),
    post("webhooks:rotate_secret",                          _webhook,        (D,   403, 403, 403, 403, 403, 404, L)),
    post("webhooks:enable",                                 _webhook,        (D,   403, 403, 403, 403, 403, 404, L)),
    post("webhooks:disable",                                _webhook,        (D,   403, 403, 403, 403, 403, 404, L)),
    post("webhooks:send_test",                              _webhook,        (D,   403, 403, 403, 403, 403, 404, L)),
    post("webhooks:delete",                                 _webhook,        (D,   403, 403, 403, 403, 403, 404, L)),
]
# fmt: on

# Open to anyone by design, each with its reason. No login is needed, so a token or slug in
# the URL is the key: the table has a row proving that a wrong one opens nothing.
PUBLIC: dict[str, str] = {
    "core:health": "the load balancer's health check: says only that the service answers",
    "accounts:login": "the login page",
    "accounts:logout": "ends the browser's own session, nobody else's",
    "accounts:password_reset": "asks for a reset e-mail; the same answer whether or not the address has an account",
    "accounts:password_reset_done": "a fixed 'look in your inbox' page",
    "accounts:password_reset_confirm": "the reset link of the e-mail, its token checked by Django",
    "accounts:password_reset_complete": "a fixed 'password changed' page",
    "accounts:invitation": "the invitation link of the e-mail, by its token, for its addressee only",
    "twofactor:verify": "the code page of a sign-in whose password was right; without one, back to the login",
    "twofactor:setup": "setting up the authenticator while signing in (or logged in); else back to the login",
    "twofactor:cancel": "forgets the browser's own half-finished sign-in, nobody else's",
    "consultations:entry": "the clinic's patient link: patients have no account",
    "consultations:short": "the short code of leaflets and phone calls: a redirect to the patient link",
    "consultations:space": "the patient's own space, by the token only they hold",
    "consultations:leave": "the patient leaves their own space, by its token",
    "consultations:join_by_invite": "an invited interpreter or relative, by the invitation's token",
    "rooms:guest": "a meeting room's or user room's guest link, by its token",
    "precall:page": "the pre-call test: anyone may test their device and connection before a call",
    "precall:clinic_page": "the pre-call test with a clinic's bandwidth levels, by its public patient-link slug",
    "precall:download": "the pre-call test's download: random bytes, rate-limited per address",
    "precall:upload": "the pre-call test's upload: read and thrown away, CSRF-protected, rate-limited per address",
    "precall:entry_check": "the patient entry page's check report (patients have no account), CSRF-protected",
    "sso:choose": "single sign-on's first step: a work e-mail address picks the organisation's provider",
    "sso:begin": "the trip to an organisation's identity provider, by its slug: 404 without an enabled provider",
    "sso:callback": "the way back from the identity provider; its state and tokens are checked (consulta/sso)",
    "set_language": (
        "the language picker: sets the language cookie, and keeps the choice on the person's own account "
        "and on the consultations this browser's session holds (no one else's); rate-limited per address"
    ),
    "admin:login": "the Django admin's own login page",
    "admin:logout": "the Django admin's log-out: ends the browser's own session",
}
# A logged-in person's own pages, about their own account only: the same for the outsider as for
# anyone (no organisation's data on them), so the outsider's 404 rule does not apply.
OWN_ACCOUNT = {"core:home", "twofactor:security", "twofactor:remove", "twofactor:recovery_codes"}
# Public token routes whose wrong token is proved by a test of its own rather than a row.
TOKEN_CHECKED_ELSEWHERE = {
    # Django answers a wrong reset link with 200 and a page saying so, without the form.
    "accounts:password_reset_confirm": "test_a_wrong_password_reset_link_opens_no_form",
}

# The REST API (consulta/api): a bearer API key is its key, never a session, so there is no login
# to send anyone to. Every endpoint against keys of every scope, wrong ids and slugs included:
# consulta/api/tests/test_api_matrix.py.
API_ROUTES = [f"api:api-v1:{route.name}" for route in api_url_patterns() if route.name]
PUBLIC |= dict.fromkeys(API_ROUTES, "the REST API: bearer API keys only (consulta/api/tests/test_api_matrix.py)")
TOKEN_CHECKED_ELSEWHERE |= dict.fromkeys(API_ROUTES, "consulta/api/tests/test_api_matrix.py")

NAMES_NOT_TO_REVEAL = ("Alder Clinic", "Birch Clinic", "Acme Care")

CELLS = [pytest.param(row, person, id=f"{row.id}-{person}") for row in TABLE for person in PEOPLE]


# --- The whole URL resolver ---------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    namespace: tuple[str, ...]
    name: str | None  # namespaced, as `reverse` takes it
    pattern: str  # the whole path pattern, from the site's root


def url_routes(
    resolver: URLResolver | None = None, prefix: str = "", namespace: tuple[str, ...] = ()
) -> Iterator[Route]:
    """Every URL pattern of consulta/urls.py and of everything it includes, however deep."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = (*namespace, entry.namespace) if entry.namespace else namespace
            yield from url_routes(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = ":".join((*namespace, entry.name)) if entry.name else None
            yield Route(namespace, name, prefix + str(entry.pattern))


def _placeholder_args(pattern: str) -> list[str]:
    """Arguments that fit a Django admin pattern: an app label where one is asked, else "1"."""
    groups = re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", pattern)
    return ["auth" if "app_label" in group else "1" for group in groups]


# The Django admin: only staff accounts (manage.py createsuperuser) may use it, and nobody of
# the cast is staff. Every one of its URLs, as the resolver lists them, sends them to its login.
def _admin_row(route: Route) -> Row:
    args = _placeholder_args(route.pattern)
    assert route.name is not None
    return Row(route.name, "get", lambda w: list(args), (ADMIN_LOGIN,) * len(PEOPLE))


ADMIN_ROWS = [
    _admin_row(route)
    for route in url_routes()
    if route.namespace == ("admin",) and route.name and route.name not in PUBLIC
]


def test_every_url_and_socket_route_has_a_row_or_is_public() -> None:
    """A new URL (any app's) or socket route needs its row here, or a place in PUBLIC with a reason.

    Every named pattern of the whole resolver counts, not a list of apps; `reverse` in each
    cell checks that the rows name URLs that exist.
    """
    routes = list(url_routes())
    unnamed = [route.pattern for route in routes if route.name is None and route.namespace != ("admin",)]
    assert not unnamed, f"name these URL patterns, so that the matrix can reach them: {unnamed}"
    named = {route.name for route in routes if route.name}
    covered = {row.name for row in TABLE} | {row.name for row in ADMIN_ROWS} | set(PUBLIC)
    assert not named - covered, f"URLs without a row or a public reason: {sorted(named - covered)}"
    assert not covered - named, f"rows or public entries of URLs that do not exist: {sorted(covered - named)}"

    # A public route with a parameter, or any route with a token, proves that a wrong one opens nothing.
    keyed = {route.name for route in routes if route.name in PUBLIC and "<" in route.pattern}
    keyed |= {route.name for route in routes if route.name and "<str:token>" in route.pattern}
    proved = {row.name for row in TABLE if row.variant == WRONG} | set(TOKEN_CHECKED_ELSEWHERE)
    assert not keyed - proved, f"token routes without a wrong-token row: {keyed - proved}"

    socket_routes = {str(pattern.pattern) for pattern in websocket_urlpatterns}
    in_table = {row.route for row in SOCKET_TABLE}
    assert not socket_routes - in_table - set(SOCKET_PUBLIC), (
        f"socket routes without a row or a public reason: {sorted(socket_routes - in_table - set(SOCKET_PUBLIC))}"
    )
    assert not (in_table | set(SOCKET_PUBLIC)) - socket_routes, "rows or public entries of sockets that do not exist"
    keyed_sockets = {route for route in SOCKET_PUBLIC if "<" in route}
    proved_sockets = {row.route for row in SOCKET_TABLE if row.variant == WRONG}
    unproved = keyed_sockets - proved_sockets
    assert not unproved, f"public sockets without a wrong-token row: {unproved}"


def test_table_rows_are_complete_and_keep_outsiders_out() -> None:
    ids = [row.id for row in TABLE]
    assert len(ids) == len(set(ids)), "two rows share an id: give one a variant"
    for row in TABLE:
        assert len(row.expected) == len(PEOPLE), row.id
        assert row.method in ("get", "post"), row.id
        if not row.public and row.name not in OWN_ACCOUNT:
            assert row.expectation("outsider") == 404, f"{row.id}: the outsider must get 404"
            assert row.expectation("anonymous") == LOGIN, f"{row.id}: login is required"
        if row.variant == WRONG:
            assert set(row.expected) <= {404, LOGIN} or row.name == "consultations:leave", row.id
    assert all(PUBLIC.values()), "every public route says why"


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

    # A download streams its body (the audit trail's CSV, say): read it whole all the same.
    body = response.getvalue().decode(errors="replace")
    if expected == 404 or (person == "outsider" and not row.public):
        for name in NAMES_NOT_TO_REVEAL:
            assert name not in body, f"{name!r} revealed to {person} by {row.id}"


POST_ONLY = [row for row in TABLE if row.method == "post" and row.post_only and {DONE, 200} & set(row.expected)]


@pytest.mark.parametrize("row", POST_ONLY, ids=lambda row: row.id)
def test_post_only_views_refuse_get(world: World, row: Row) -> None:
    """The rows marked POST really are POST-only: a GET by someone allowed is 405."""
    allowed = next(person for person in PEOPLE if row.expectation(person) in (DONE, 200))
    response = world.client_for(allowed).get(reverse(row.name, args=row.args(world)))
    assert response.status_code == 405


def test_the_django_admin_is_for_staff_only(world: World) -> None:
    """Every admin URL sends every person of the cast (nobody is staff) to the admin's login.

    One test for all of them, the eight browsers logged in once: the admin has dozens of URLs.
    """
    login = reverse("admin:login")
    clients = {person: world.client_for(person) for person in PEOPLE}
    wrong = []
    for row in ADMIN_ROWS:
        url = reverse(row.name, args=row.args(world))
        for person, client in clients.items():
            response = client.get(url)
            if (response.status_code, response.get("Location")) != (302, f"{login}?next={url}"):
                wrong.append(f"{row.name} for {person}: {response.status_code} {response.get('Location', '')}")
    assert len(ADMIN_ROWS) > 10, "the resolver's admin URLs were not found"
    assert not wrong, wrong


def test_a_wrong_password_reset_link_opens_no_form(world: World) -> None:
    """A reset link with a wrong token (or a made-up account) offers no new password; the right one does."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(world.member.pk))
    for person in ("anonymous", "member", "outsider"):
        for uidb64, token in ((uid, "abc-0123456789abcdef"), ("bm9ib2R5", "abc-0123456789abcdef")):
            url = reverse("accounts:password_reset_confirm", args=[uidb64, token])
            response = world.client_for(person).get(url)
            assert response.status_code == 200, (person, response)
            assert response.context["validlink"] is False, person
            assert 'name="new_password1"' not in response.content.decode(), person
    real = reverse("accounts:password_reset_confirm", args=[uid, default_token_generator.make_token(world.member)])
    assert Client().get(real).status_code == 302  # to the form's own URL, token kept in the session


def test_leaving_with_a_wrong_token_touches_no_caller(world: World) -> None:
    """The patient's "leave" with a made-up token: the same page as a real leave, and nobody left."""
    carl = caller(world)
    for person in PEOPLE:
        response = world.client_for(person).post(reverse("consultations:leave", args=[WRONG_TOKEN]))
        assert response.status_code == 200, (person, response)
    assert Consultation.objects.filter(pk=carl.pk).exists()
    left = Client().post(reverse("consultations:leave", args=[carl.token]))
    assert left.status_code == 200
    assert not Consultation.objects.filter(pk=carl.pk).exists()  # the real token did leave


# --- WebSocket routes ---------------------------------------------------------------------

OK = "OK"  # accepted, and it acknowledges a heartbeat
SocketExpected = int | str

QUEUE = "ws/clinic/<slug:slug>/queue/"
TEAM_CALL = "ws/consultations/<int:consultation_id>/call/"
MEETING_ROOM = "ws/rooms/<str:token>/"
USER_ROOM = "ws/user-rooms/<str:token>/"
PATIENT = "ws/patient/<str:token>/"
INVITEE = "ws/invites/<str:token>/"
GUEST = "ws/guest/<str:token>/"

# Open to anyone by design, each with its reason; the token is the key, and a row proves that a
# wrong one is closed with 4404.
SOCKET_PUBLIC: dict[str, str] = {
    "ws/ping/": "the liveness check: answers a ping with a pong, knows nothing else",
    PATIENT: "the patient's own socket, by the token only they hold",
    INVITEE: "an invited interpreter or relative, by the invitation's token and the name they gave",
    GUEST: "a guest link's door, by its token: the guest knocks and waits to be let in",
}


@dataclass(frozen=True)
class SocketRow:
    route: str  # the pattern in consulta/routing.py
    path: Callable[[World], str]
    # One expectation per person, in the order of PEOPLE: OK, or the close code (4403, 4404).
    expected: tuple[SocketExpected, ...]
    variant: str = ""
    named_invitee: bool = False  # the person's browser first gave a name on the invitation page

    @property
    def id(self) -> str:
        return f"{self.route}[{self.variant}]" if self.variant else self.route


def _invite_path(w: World) -> str:
    return f"/ws/invites/{call_invite_token(w)}/"


NOBODY: tuple[SocketExpected, ...] = (4404,) * len(PEOPLE)
EVERYBODY: tuple[SocketExpected, ...] = (OK,) * len(PEOPLE)

# fmt: off
SOCKET_TABLE: list[SocketRow] = [
    # Expectations, in the order of PEOPLE: org_admin, coordinator, reporter, clinic_admin, clerk, member,
    # outsider, anonymous.  OK: accepted.  4403, 4404: accepted, then closed with that code.
    # The dashboard's queue: whoever may use the waiting area; a reporter sees the clinic but not its callers.
    SocketRow(QUEUE,        lambda w: queue_path(w.clinic_a),           (OK, OK, 4403, OK,   OK,   OK,   4404, 4404)),
    SocketRow(QUEUE,        lambda w: queue_path(w.clinic_b),           (OK, OK, 4403, 4404, 4404, 4404, 4404, 4404),
              variant=B),
    SocketRow(QUEUE,        lambda w: "/ws/clinic/no-such-clinic/queue/", NOBODY, variant=WRONG),
    # A caller's call (access.consultation_for: reporters get 404), in clinic A and in clinic B.
    SocketRow(TEAM_CALL,    lambda w: call_path(caller(w)),             (OK, OK, 4404, OK,   OK,   OK,   4404, 4404)),
    SocketRow(TEAM_CALL,    lambda w: call_path(birch_caller(w)),       (OK, OK, 4404, 4404, 4404, 4404, 4404, 4404),
              variant=B),
    SocketRow(TEAM_CALL,    lambda w: "/ws/consultations/999999/call/", NOBODY, variant=WRONG),
    # Meeting rooms: the clinic's team and organisation admins; coordinators see the link only.
    SocketRow(MEETING_ROOM, lambda w: room_path(w.meeting_room),        (OK, 4403, 4403, OK, OK,   OK,   4404, 4404)),
    SocketRow(MEETING_ROOM, lambda w: f"/ws/rooms/{WRONG_TOKEN}/",      NOBODY, variant=WRONG),
    # The member's user room: its owner only.
    SocketRow(USER_ROOM,    lambda w: user_room_path(w.user_room),      (4404, 4404, 4404, 4404, 4404, OK, 4404, 4404)),
    SocketRow(USER_ROOM,    lambda w: f"/ws/user-rooms/{WRONG_TOKEN}/", NOBODY, variant=WRONG),
    # --- Public by design (see SOCKET_PUBLIC): the token is the key.
    SocketRow(PATIENT,      lambda w: patient_path(caller(w)),          EVERYBODY),
    SocketRow(PATIENT,      lambda w: f"/ws/patient/{WRONG_TOKEN}/",    NOBODY, variant=WRONG),
    SocketRow(INVITEE,      _invite_path,                               EVERYBODY, named_invitee=True),
    # The name comes first, on the invitation page.
    SocketRow(INVITEE,      _invite_path,                               NOBODY, variant="no name given"),
    SocketRow(INVITEE,      lambda w: f"/ws/invites/{WRONG_TOKEN}/",    NOBODY, variant=WRONG),
    SocketRow(GUEST,        lambda w: guest_path(w.guest_link),         EVERYBODY),
    SocketRow(GUEST,        lambda w: f"/ws/guest/{WRONG_TOKEN}/",      NOBODY, variant=WRONG),
]
# fmt: on


def test_socket_rows_are_complete_and_keep_outsiders_out() -> None:
    ids = [row.id for row in SOCKET_TABLE]
    assert len(ids) == len(set(ids)), "two socket rows share an id: give one a variant"
    for row in SOCKET_TABLE:
        assert len(row.expected) == len(PEOPLE), row.id
        assert set(row.expected) <= {OK, 4403, 4404}, row.id
        if row.route not in SOCKET_PUBLIC or row.variant == WRONG:
            assert row.expected[PEOPLE.index("outsider")] == 4404, f"{row.id}: the outsider must get 4404"
            assert row.expected[PEOPLE.index("anonymous")] == 4404, f"{row.id}: nobody logged in gets 4404"


def socket_headers(world: World, person: str, row: SocketRow, path: str) -> Headers:
    """The person's browser, same-origin: its session cookie, if it has a session."""
    user = world.person(person)
    if not row.named_invitee:
        return staff_headers(user) if isinstance(user, User) else SAME_ORIGIN
    client = world.client_for(person)
    token = path.rstrip("/").rsplit("/", 1)[-1]
    response = client.post(reverse("consultations:join_by_invite", args=[token]), {"name": "Ida Invitee"})
    assert response.status_code == 302, response
    return [*SAME_ORIGIN, (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]


async def socket_answer(sockets: Sockets, path: str, headers: Headers) -> SocketExpected:
    """OK if the socket is accepted and acknowledges a heartbeat, else the code it was closed with."""
    communicator: WebsocketCommunicator = sockets.make(path, headers)
    connected, code = await communicator.connect(timeout=TIMEOUT)
    if not connected:
        return f"refused before accepting ({code})"  # a refusal must accept first, to carry its code
    await communicator.send_json_to({"type": "heartbeat"})
    while True:  # past whatever the socket says on connect (a patient's status, a host's knocks)
        output = await communicator.receive_output(timeout=TIMEOUT)
        if output["type"] == "websocket.close":
            closed: int = output.get("code", 1000)
            return closed
        if output.get("text") == '{"type":"heartbeat_ack"}':
            return OK


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("row", SOCKET_TABLE, ids=lambda row: row.id)
async def test_socket_permission(sockets: Sockets, world: World, row: SocketRow) -> None:
    """The socket, opened by each of the eight people in turn."""
    path = await run(row.path)(world)
    answers = {}
    for person in PEOPLE:
        headers = await run(socket_headers)(world, person, row, path)
        answers[person] = await socket_answer(sockets, path, headers)
    assert answers == dict(zip(PEOPLE, row.expected, strict=True))
