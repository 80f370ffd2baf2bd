"""Every change to who is in a call passes through here; events go out after commit."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from consulta.calls import events, records
from consulta.calls.messages import (
    CallEnded,
    Client,
    OutAdmitted,
    OutApps,
    OutDeclined,
    OutKnock,
    OutKnockResolved,
    OutMediaState,
    OutMutedByHost,
    OutOnHold,
    OutPeerJoined,
    OutPeerLeft,
    OutRemoved,
    Peer,
)
from consulta.calls.models import Call, Knock, Participant, RoomCallRecord
from consulta.eventlog.kinds import Kind
from consulta.eventlog.log import record

MAX_PARTICIPANTS = 6


class CallFull(Exception):
    pass


class NoSuchKnock(Exception):
    """Nobody is knocking with that id at this room (answered already, or the guest left)."""


class NoSuchPeer(Exception):
    """Nobody with that peer id is in this call."""


class CannotRemovePatient(Exception):
    """A waiting-area caller leaves a call by hold or end, never by `manage`."""


class CannotHold(Exception):
    """Only a room's guest is put on hold by `manage`: not the team, not a waiting-area caller or invitee."""


def ice_servers(peer_id: str, *, ttl: int | None = None) -> list[dict[str, Any]]:
    """STUN and TURN servers for one peer; TURN with time-limited credentials.

    The coturn "use-auth-secret" scheme: the username is the expiry time and
    the peer, the password an HMAC of it under the secret shared with coturn.
    """
    servers: list[dict[str, Any]] = []
    if settings.STUN_URLS:
        servers.append({"urls": settings.STUN_URLS})
    if settings.TURN_URLS and settings.TURN_SECRET:
        # `ttl`: seconds the credential lasts when not TURN_CREDENTIAL_TTL (the pre-call test's few minutes).
        username = f"{int(time.time()) + (ttl or settings.TURN_CREDENTIAL_TTL)}:{peer_id}"
        digest = hmac.new(settings.TURN_SECRET.encode(), username.encode(), hashlib.sha1).digest()
        servers.append(
            {"urls": settings.TURN_URLS, "username": username, "credential": base64.b64encode(digest).decode()}
        )
    return servers


def peer(participant: Participant) -> Peer:
    return Peer(
        peer_id=participant.peer_id,
        name=participant.name,
        role=participant.role,  # type: ignore[arg-type]
        audio=participant.audio,
        video=participant.video,
        client=Client(browser=participant.browser, browser_version=participant.browser_version, os=participant.os),
    )


def _stale_before() -> datetime:
    return timezone.now() - timedelta(seconds=settings.PARTICIPANT_TIMEOUT_SECONDS)


def _get_call(key: str) -> Call:
    call, _ = Call.objects.get_or_create(key=key, defaults={"clinic_id": lambda: records.clinic_of_key(key)})
    return call


def _drop(participants: list[Participant], *, announce: bool = True) -> None:
    """Take these people out of their calls; the others hear `peer_left` unless the call is ending."""
    calls: dict[int, Call] = {}
    now = timezone.now()
    for gone in participants:
        if announce:
            events.send_on_commit(events.call_group(gone.call_id), OutPeerLeft(peer_id=gone.peer_id))
        if gone.call_id not in calls:
            calls[gone.call_id] = gone.call
        call = calls[gone.call_id]
        records.participant(Kind.PARTICIPANT_LEFT, call, gone, (now - gone.joined_at).total_seconds())
        gone.delete()
    for call in calls.values():
        if not call.participants.exists():
            records.meeting_over(call, now)


def call_id_for_joining(key: str) -> int:
    """The call's id, creating the call if it is new: a socket joins its group before joining it."""
    return _get_call(key).pk


def join(
    key: str,
    *,
    channel_name: str,
    role: str,
    name: str,
    principal: str,
    user_id: int | None = None,
    consultation_id: int | None = None,
    resume: str | None = None,
    browser: Client | None = None,
) -> tuple[Participant, list[Participant], bool]:
    """Take a place in the call; returns (me, the others, resumed). Raises CallFull for a 7th.

    `resume` takes back a peer id only when the same `principal` held it: nobody takes over
    another's place. A patient, invitee or guest holds one place at most: a new join of
    theirs replaces the old one (a reload that lost its peer id leaves no frozen tile, and
    no socket can fill the call with ghosts). Account holders may be in a call from two tabs.
    """
    now = timezone.now()
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=_get_call(key).pk)
        _drop(list(call.participants.filter(last_seen_at__lt=_stale_before())))
        present = list(call.participants.all())
        me = next((p for p in present if resume and p.peer_id == resume and p.principal == principal), None)
        if me is not None:
            me.channel_name, me.last_seen_at = channel_name, now
            me.save(update_fields=["channel_name", "last_seen_at"])
            return me, [p for p in present if p.pk != me.pk], True
        if role != Participant.Role.STAFF:
            replaced = [p for p in present if p.principal == principal]
            _drop(replaced)
            present = [p for p in present if p not in replaced]
        if len(present) >= MAX_PARTICIPANTS:
            raise CallFull
        if not present:
            _meeting_begins(call, now)
        me = Participant.objects.create(
            call=call,
            peer_id=secrets.token_urlsafe(12),
            channel_name=channel_name,
            role=role,
            name=name,
            principal=principal,
            user_id=user_id,
            consultation_id=consultation_id,
            last_seen_at=now,
            **(browser or Client()).model_dump(),  # its browser and system (`calls.client`)
        )
        if len(present) + 1 > call.peak_participants:
            call.peak_participants = len(present) + 1
            call.save(update_fields=["peak_participants"])
        records.participant(Kind.PARTICIPANT_JOINED, call, me)
        events.send_on_commit(events.call_group(call.pk), OutPeerJoined(peer=peer(me)))
    return me, present, False


def _meeting_begins(call: Call, now: datetime) -> None:
    """Somebody joins an empty call. A room's call row serves meeting after meeting, each afresh:
    its apps editable again, its peak counted from one. A consultation's call keeps its peak (a
    patient on hold and back is the same consultation)."""
    call.apps_view_only = False
    call.meeting_started_at = now
    fields = ["apps_view_only", "meeting_started_at"]
    kind = call.key.partition(":")[0]
    if kind in RoomCallRecord.Kind.values:
        call.peak_participants = 0
        fields.append("peak_participants")
        records.meeting_started(call)
    call.save(update_fields=fields)


def peak_participants(key: str) -> int:
    """The most people who were in the call at once (0 if it never started)."""
    return Call.objects.filter(key=key).values_list("peak_participants", flat=True).first() or 0


def drop_silent(call_id: int) -> int:
    """Take out of the call everyone silent past the timeout; the others hear `peer_left`. Returns how many.

    Each joined socket calls this every `sweep_seconds()` (`CallSocket.sweep`): a tab closed
    without "Leave", or a worker that died, leaves no frozen tile and no place against the cap
    until someone joins. One unlocked look first: nearly every sweep finds nobody.
    """
    if not Participant.objects.filter(call_id=call_id, last_seen_at__lt=_stale_before()).exists():
        return 0
    with transaction.atomic():
        call = Call.objects.select_for_update().filter(pk=call_id).first()
        if call is None:
            return 0
        gone = list(call.participants.filter(last_seen_at__lt=_stale_before()))
        _drop(gone)
    return len(gone)


def sweep_seconds() -> float:
    """How often a joined socket looks for silent participants: a third of the timeout, at least a second."""
    return max(1.0, settings.PARTICIPANT_TIMEOUT_SECONDS / 3)


def touch(peer_id: str, quality: dict[str, Any] | None = None) -> None:
    """Alive (a heartbeat); with `quality`, the browser's summary of its connections, in place of the last."""
    fields: dict[str, Any] = {"last_seen_at": timezone.now()} | ({"quality": quality} if quality is not None else {})
    Participant.objects.filter(peer_id=peer_id).update(**fields)


def leave(peer_id: str) -> None:
    with transaction.atomic():
        _drop(list(Participant.objects.filter(peer_id=peer_id)))


def set_media(peer_id: str, *, audio: bool, video: bool) -> None:
    participant = Participant.objects.filter(peer_id=peer_id).first()
    if participant is None:
        return
    participant.audio, participant.video = audio, video
    participant.save(update_fields=["audio", "video"])
    events.send_on_commit(
        events.call_group(participant.call_id), OutMediaState(peer_id=peer_id, audio=audio, video=video)
    )


def remove_consultation(consultation_id: int) -> None:
    """Take a patient out of whatever call they are in (hold, transfer, end)."""
    _drop(list(Participant.objects.filter(consultation_id=consultation_id)))


def end_call(key: str) -> None:
    call = Call.objects.filter(key=key).first()
    if call is None:
        return
    events.send_on_commit(events.call_group(call.pk), CallEnded())
    # Each one's time in the call is recorded, and a room's meeting; `call_ended` says the rest.
    _drop(list(call.participants.all()), announce=False)
    call.delete()


def call_id_for(key: str) -> int | None:
    return Call.objects.filter(key=key).values_list("pk", flat=True).first()


# --- Tools inside a call --------------------------------------------------------------------


def _peer_in_call(call_id: int, peer_id: str) -> Participant:
    participant = Participant.objects.filter(call_id=call_id, peer_id=peer_id).first()
    if participant is None:
        raise NoSuchPeer
    return participant


def apps_view_only(call_id: int) -> bool:
    return bool(Call.objects.filter(pk=call_id).values_list("apps_view_only", flat=True).first())


def set_apps_view_only(call_id: int, peer_id: str, *, view_only: bool, by: str) -> None:
    """A host (`peer_id`, still in the call) makes the apps view-only for guests and patients, or not.

    Everyone in the call hears `apps`, the host included; a latecomer reads it in `welcome`.
    """
    with transaction.atomic():
        _peer_in_call(call_id, peer_id)
        Call.objects.filter(pk=call_id).update(apps_view_only=view_only)
        events.send_on_commit(events.call_group(call_id), OutApps(view_only=view_only, by=by))


def ask_to_mute(call_id: int, peer_id: str, *, by: str) -> None:
    """Ask one peer's browser to switch its microphone off. Nobody can switch another's on."""
    _peer_in_call(call_id, peer_id)
    events.send_now(events.call_group(call_id), OutMutedByHost(by=by), to_peer=peer_id)


def remove_from_call(call_id: int, peer_id: str) -> None:
    """Take a peer out of the call: it hears `removed` (its socket then closes), the others `peer_left`."""
    with transaction.atomic():
        participant = _peer_in_call(call_id, peer_id)
        if participant.role == Participant.Role.PATIENT:
            raise CannotRemovePatient
        events.send_on_commit(events.call_group(call_id), OutRemoved(), to_peer=peer_id)
        _drop([participant])


ROOM_CALL_KEY = re.compile(r"(room|userroom):[0-9]+")


def consultation_of(call_id: int, peer_id: str) -> int | None:
    """The waiting-area consultation of a patient in the call; None for anyone else."""
    return _peer_in_call(call_id, peer_id).consultation_id


def hold_guest(call_id: int, peer_id: str) -> None:
    """Take a room's guest out of the call, back to the door: it hears `on_hold`, the others `peer_left`.

    The guest's socket stays open and knocks again itself (`GuestSocket`), so a guest whose
    socket is gone leaves no knock behind.
    """
    with transaction.atomic():
        participant = _peer_in_call(call_id, peer_id)
        key = Call.objects.filter(pk=call_id).values_list("key", flat=True).get()
        if participant.role != Participant.Role.GUEST or not ROOM_CALL_KEY.fullmatch(key):
            raise CannotHold
        events.send_on_commit(events.call_group(call_id), OutOnHold(), to_peer=peer_id)
        _drop([participant])


# --- Knocking at a room's door ------------------------------------------------------------------


def knock(key: str, *, name: str, channel_name: str) -> Knock:
    """A guest knocks; every host socket of the room hears it after the commit."""
    with transaction.atomic():
        knock = Knock.objects.create(call_key=key, name=name, channel_name=channel_name, last_seen_at=timezone.now())
        events.send_on_commit(events.hosts_group(key), OutKnock(knock_id=knock.knock_id, name=knock.name))
    return knock


def _withdraw(knocks: list[Knock]) -> None:
    for gone in knocks:
        events.send_on_commit(
            events.hosts_group(gone.call_key),
            OutKnockResolved(knock_id=gone.knock_id, admitted=False, withdrawn=True),
        )
        gone.delete()


def pending_knocks(key: str) -> list[Knock]:
    """The room's unanswered knocks, oldest first; knocks whose guest went silent are withdrawn first."""
    with transaction.atomic():
        _withdraw(list(Knock.objects.filter(call_key=key, last_seen_at__lt=_stale_before())))
        return list(Knock.objects.filter(call_key=key))


def touch_knock(knock_id: str) -> None:
    Knock.objects.filter(knock_id=knock_id).update(last_seen_at=timezone.now())


def withdraw_knock(knock_id: str) -> None:
    """The guest went away before an answer: the hosts stop seeing the knock."""
    with transaction.atomic():
        _withdraw(list(Knock.objects.filter(knock_id=knock_id)))


def answer_knock(key: str, knock_id: str, *, admit: bool) -> Knock:
    """A host lets the guest in or declines; only the first answer counts."""
    with transaction.atomic():
        knock = Knock.objects.select_for_update().filter(call_key=key, knock_id=knock_id).first()
        if knock is None or Knock.objects.filter(pk=knock.pk).delete()[0] == 0:
            raise NoSuchKnock
        events.send_on_commit(events.hosts_group(key), OutKnockResolved(knock_id=knock.knock_id, admitted=admit))
        events.send_to_channel_on_commit(knock.channel_name, OutAdmitted() if admit else OutDeclined())
        clinic_id = records.clinic_of_key(key)
        if clinic_id is not None:
            record(Kind.KNOCK_ADMITTED if admit else Kind.KNOCK_DECLINED, clinic_id=clinic_id, subject=key)
    return knock


def decline_all_knocks(key: str) -> None:
    """The room is going away: every knocking guest hears `declined`."""
    for knock in Knock.objects.filter(call_key=key):
        events.send_to_channel_on_commit(knock.channel_name, OutDeclined())
        knock.delete()


def guest_still_in_call(key: str, peer_id: str) -> bool:
    """A guest who was let in and whose socket dropped keeps their place until the timeout."""
    return Participant.objects.filter(
        call__key=key, peer_id=peer_id, role=Participant.Role.GUEST, last_seen_at__gte=_stale_before()
    ).exists()


def team_in_call(key: str) -> bool:
    """Is an account holder in the call right now?"""
    return Participant.objects.filter(
        call__key=key, role=Participant.Role.STAFF, last_seen_at__gte=_stale_before()
    ).exists()
