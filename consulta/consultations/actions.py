"""Every change to a patient's consultation passes through here.

Each function writes, bumps the consultation's version, and sends its events
after the commit: the card to the clinic's dashboards, the status to that
patient alone, and positions to the other waiting patients of the clinic (each
only their own number).
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from consulta.accounts.models import User
from consulta.calls import actions as calls
from consulta.calls import events
from consulta.calls.messages import (
    OutCallerRemoved,
    OutCallerUpdated,
    PatientNotice,
    PatientStatus,
)
from consulta.consultations.models import (
    QUEUE_ORDER,
    CallInvite,
    Consultation,
    ConsultationRecord,
    Outcome,
    PrefillLink,
    Status,
    UrgentReason,
)
from consulta.consultations.queries import card
from consulta.eventlog.kinds import Kind
from consulta.eventlog.log import FROM_CONTEXT, record
from consulta.organisations.models import Clinic, new_token


def _typical_call_seconds(clinic_id: int) -> float | None:
    """The median length of the clinic's recent ended calls, or None before any."""
    recent = list(
        ConsultationRecord.objects.filter(clinic_id=clinic_id, outcome=Outcome.ENDED, call_seconds__gt=0).values_list(
            "call_seconds", flat=True
        )[:20]
    )
    return statistics.median(recent) if recent else None


def _estimated_minutes(position: int, call_seconds: float | None) -> int | None:
    if call_seconds is None:
        return None
    return max(1, round(position * call_seconds / 60))


_UNKNOWN: Any = object()  # patient_status's call_seconds when the caller has not looked it up


def patient_status(
    consultation: Consultation, position: int | None = None, call_seconds: float | None = _UNKNOWN
) -> PatientStatus:
    """`call_seconds` (from `_typical_call_seconds`) lets a caller announcing many patients look it up once."""
    area = consultation.clinic.waiting_area
    shown = area.show_queue_position and consultation.status == Status.WAITING
    if shown and position is None:
        waiting = Consultation.objects.filter(clinic_id=consultation.clinic_id, status=Status.WAITING)
        position = waiting.filter(consultation.ahead_of_me()).count() + 1  # urgent callers ahead count too
    estimate = None
    if shown and position:
        if call_seconds is _UNKNOWN:
            call_seconds = _typical_call_seconds(consultation.clinic_id)
        estimate = _estimated_minutes(position, call_seconds)
    return PatientStatus(
        state=consultation.status,  # type: ignore[arg-type]
        clinic_name=consultation.clinic.name,
        position=position if shown else None,
        estimated_wait_minutes=estimate,
    )


def _announce(consultation: Consultation) -> None:
    events.send_on_commit(events.queue_group(consultation.clinic_id), OutCallerUpdated(caller=card(consultation)))
    events.send_on_commit(events.patient_group(consultation.pk), patient_status(consultation))


def _announce_positions(clinic: Clinic) -> None:
    """Tell every waiting patient of the clinic their own, new place."""
    if not clinic.waiting_area.show_queue_position:
        return
    waiting = (
        Consultation.objects.filter(clinic=clinic, status=Status.WAITING)
        .select_related("clinic__waiting_area")
        .order_by(*QUEUE_ORDER)  # urgent callers first: as the dashboard shows them
    )
    call_seconds = _typical_call_seconds(clinic.pk)  # once for all: the same for every patient of the clinic
    for position, consultation in enumerate(waiting, start=1):
        events.send_on_commit(
            events.patient_group(consultation.pk), patient_status(consultation, position, call_seconds)
        )


def _log(kind: Kind, consultation: Consultation, **details: Any) -> None:
    """One event of this consultation's life, named by its id: never the patient's name."""
    record(kind, clinic_id=consultation.clinic_id, subject=f"consultation:{consultation.pk}", **details)


def _save(consultation: Consultation, *fields: str) -> None:
    consultation.version = F("version") + 1
    consultation.save(update_fields=[*fields, "version"])
    consultation.refresh_from_db(fields=["version"])


def enter(
    clinic: Clinic,
    *,
    first_name: str,
    last_name: str,
    phone: str,
    answers: list[list[str]],
    external_reference: str = "",
    language: str = "en",
) -> Consultation:
    """`external_reference`: of the one-click link the patient came by (PrefillLink), if any;
    `language`: the patient's, as their entry page was shown."""
    now = timezone.now()
    with transaction.atomic():
        consultation = Consultation.objects.create(
            clinic=clinic,
            first_name=first_name,
            last_name=last_name,
            phone=phone,
            answers=answers,
            external_reference=external_reference,
            language=language,
            waiting_since=now,
            last_seen_at=now,
        )
        _log(Kind.CONSULTATION_ENTERED, consultation, actor=None)
        events.send_on_commit(events.queue_group(clinic.pk), OutCallerUpdated(caller=card(consultation)))
    # After the commit, not inside the transaction: reading the whole queue need not hold
    # the write lock, nor keep the new caller's card from the dashboards meanwhile.
    _announce_positions(clinic)
    return consultation


def patient_presence(consultation_id: int, *, connected: bool) -> None:
    """The patient's socket opened, closed or sent a heartbeat."""
    with transaction.atomic():
        consultation = Consultation.objects.select_for_update().filter(pk=consultation_id).first()
        if consultation is None:
            return
        changed = consultation.connected != connected
        consultation.connected = connected
        consultation.last_seen_at = timezone.now()
        if changed:
            _save(consultation, "connected", "last_seen_at")
            events.send_on_commit(
                events.queue_group(consultation.clinic_id), OutCallerUpdated(caller=card(consultation))
            )
        else:
            consultation.save(update_fields=["connected", "last_seen_at"])


# Ids per UPDATE: well under SQLite's limit on bound variables.
_SEEN_CHUNK = 500


def patients_seen(consultation_ids: set[int]) -> None:
    """A batch of heartbeats (see presence.py): these patients' sockets are alive."""
    ids = sorted(consultation_ids)
    now = timezone.now()
    for start in range(0, len(ids), _SEEN_CHUNK):
        chunk = ids[start : start + _SEEN_CHUNK]
        Consultation.objects.filter(pk__in=chunk).update(last_seen_at=now)
        # Marked gone while a socket of theirs still beats (a second tab closed): back again.
        for pk in Consultation.objects.filter(pk__in=chunk, connected=False).values_list("pk", flat=True):
            patient_presence(pk, connected=True)


def join(consultation: Consultation, user: User) -> Consultation:
    """A team member answers the caller: their call starts (or resumes from hold)."""
    with transaction.atomic():
        if consultation.answered_at is None:
            consultation.answered_at, consultation.answered_by = timezone.now(), user
            _log(Kind.CONSULTATION_ANSWERED, consultation, actor=user)
        elif consultation.status == Status.ON_HOLD:
            _log(Kind.CONSULTATION_RESUMED, consultation, actor=user)
        consultation.status = Status.IN_CALL
        _save(consultation, "status", "answered_at", "answered_by")
        _announce(consultation)
        _announce_positions(consultation.clinic)
    return consultation


def hold(consultation: Consultation) -> Consultation:
    """Back to the waiting screen, out of the call, keeping the place."""
    with transaction.atomic():
        calls.remove_consultation(consultation.pk)
        consultation.status = Status.ON_HOLD
        consultation.call_host = None
        _save(consultation, "status", "call_host")
        _log(Kind.CONSULTATION_HELD, consultation)
        _announce(consultation)
    return consultation


def mark_urgent(consultation: Consultation, reason: str, user: User | None) -> Consultation:
    """Move a caller ahead of the queue for `reason` (an UrgentReason code), or back into it with "".

    A new reason for a caller already urgent keeps their place among the urgent. Everyone
    waiting hears their own new place; nobody hears that someone else is urgent.
    """
    if reason and reason not in UrgentReason.values:
        raise ValueError(f"Not an urgent reason: {reason!r}")
    previous = consultation.urgent_reason
    if reason == previous:
        return consultation
    with transaction.atomic():
        consultation.urgent_reason = reason
        consultation.urgent_since = (consultation.urgent_since or timezone.now()) if reason else None
        _save(consultation, "urgent_reason", "urgent_since")
        if reason:
            _log(Kind.CONSULTATION_URGENT, consultation, actor=user, data={"reason": reason})
        else:
            _log(Kind.CONSULTATION_NOT_URGENT, consultation, actor=user, data={"previous_reason": previous})
        events.send_on_commit(events.queue_group(consultation.clinic_id), OutCallerUpdated(caller=card(consultation)))
        _announce_positions(consultation.clinic)
    return consultation


def set_language(consultation: Consultation, language: str) -> None:
    """The patient chose another language: their pages follow it, and the card shows it."""
    if language == consultation.language:
        return
    with transaction.atomic():
        consultation.language = language
        _save(consultation, "language")
        events.send_on_commit(events.queue_group(consultation.clinic_id), OutCallerUpdated(caller=card(consultation)))


def notify(consultation: Consultation, text: str) -> None:
    # Shown on the patient's screen only; not stored.
    events.send_now(events.patient_group(consultation.pk), PatientNotice(text=text))


def transfer(consultation: Consultation, to_clinic: Clinic) -> Consultation:
    """Into another clinic's waiting area, keeping the time the patient has waited."""
    old_clinic = consultation.clinic
    with transaction.atomic():
        calls.remove_consultation(consultation.pk)
        events.send_on_commit(
            events.queue_group(old_clinic.pk), OutCallerRemoved(id=consultation.pk, version=consultation.version + 1)
        )
        # Logged before the move: the event's clinic is the one the caller leaves, `other_clinic` where they go.
        _log(Kind.CONSULTATION_TRANSFERRED, consultation, other_clinic_id=to_clinic.pk)
        consultation.clinic = to_clinic
        consultation.status = Status.WAITING
        consultation.call_host = None
        consultation.was_transferred = True
        _save(consultation, "clinic", "status", "call_host", "was_transferred")
        _announce(consultation)
        _announce_positions(old_clinic)
        _announce_positions(to_clinic)
    return consultation


def add_to_call(consultation: Consultation, host: Consultation, user: User | None = None) -> Consultation:
    """Bring a waiting caller into the call of another caller (`user`: who did, for the record)."""
    with transaction.atomic():
        consultation.status = Status.IN_CALL
        consultation.call_host = host.call_host or host
        if consultation.answered_at is None:
            consultation.answered_at, consultation.answered_by = timezone.now(), user
        _log(Kind.CONSULTATION_ADDED, consultation, data={"call": consultation.call_key})
        _save(consultation, "status", "call_host", "answered_at", "answered_by")
        _announce(consultation)
        _announce_positions(consultation.clinic)
    return consultation


_CLOSING_KIND: dict[str, Kind] = {Outcome.ENDED: Kind.CONSULTATION_ENDED, Outcome.LEFT: Kind.CONSULTATION_LEFT}


def _close(consultation: Consultation, outcome: str) -> None:
    now = timezone.now()
    answered = consultation.answered_at
    saved = ConsultationRecord.objects.create(
        clinic_id=consultation.clinic_id,
        entered_at=consultation.entered_at,
        answered_at=answered,
        answered_by_id=consultation.answered_by_id,
        ended_at=now,
        wait_seconds=int(((answered or now) - consultation.entered_at).total_seconds()),
        call_seconds=int((now - answered).total_seconds()) if answered else 0,
        max_participants=max(consultation.max_participants, calls.peak_participants(consultation.call_key)),
        outcome=outcome,
        was_transferred=consultation.was_transferred,
    )
    _log(
        _CLOSING_KIND.get(outcome, Kind.CONSULTATION_EXPIRED),
        consultation,
        actor=None if outcome == Outcome.EXPIRED else FROM_CONTEXT,
        seconds=saved.call_seconds,
        data={"wait_seconds": saved.wait_seconds, "participants": saved.max_participants},
    )
    calls.remove_consultation(consultation.pk)
    events.send_on_commit(
        events.queue_group(consultation.clinic_id),
        OutCallerRemoved(id=consultation.pk, version=consultation.version + 1),
    )
    status = PatientStatus(state="ended" if outcome == Outcome.ENDED else "left", clinic_name=consultation.clinic.name)
    events.send_on_commit(events.patient_group(consultation.pk), status)
    consultation.delete()


def end(consultation: Consultation) -> None:
    """End the consultation: its space disappears; callers added to its call end with it."""
    with transaction.atomic():
        clinics = {consultation.clinic}
        if consultation.call_host_id is None:
            # Read before the call and its record of the peak are deleted.
            in_call = calls.peak_participants(consultation.call_key)
            consultation.max_participants = max(consultation.max_participants, in_call)
            for added in consultation.added.select_related("clinic"):
                clinics.add(added.clinic)
                added.max_participants = max(added.max_participants, in_call)
                _close(added, Outcome.ENDED)
            calls.end_call(consultation.call_key)
        _close(consultation, Outcome.ENDED)
        for clinic in clinics:
            _announce_positions(clinic)


def leave(consultation: Consultation, outcome: str = Outcome.LEFT) -> None:
    """The patient left (closed the page for good), or their connection was gone too long (EXPIRED)."""
    with transaction.atomic():
        if consultation.call_host_id is None and consultation.added.exists():
            # The call goes on for those added to it: hand it to none, end it for all.
            end(consultation)
            return
        _close(consultation, outcome)
        _announce_positions(consultation.clinic)


def expire_stale(clinic_id: int | None = None) -> int:
    """Mark as left every caller whose connection has been gone longer than the grace period."""
    cutoff = timezone.now() - timedelta(seconds=settings.PATIENT_RECONNECT_GRACE_SECONDS)
    # Heartbeats refresh last_seen_at every 25 s; a socket lost without a close
    # (a crashed worker, a phone gone dark) stops refreshing it.
    stale = Consultation.objects.filter(last_seen_at__lt=cutoff).select_related("clinic__waiting_area")
    if clinic_id is not None:
        stale = stale.filter(clinic_id=clinic_id)
    count = 0
    for consultation in stale:
        leave(consultation, Outcome.EXPIRED)
        count += 1
    return count


def configure_waiting_area(form: Any, hours: Any, fields: Any) -> None:
    """Save the waiting area's settings, opening hours and entry questions together."""
    with transaction.atomic():
        form.save()
        hours.save()
        fields.save()
        changed = list(form.changed_data)
        changed += ["opening_hours"] if hours.has_changed() else []
        changed += ["entry_fields"] if fields.has_changed() else []
        if changed:
            record(Kind.WAITING_AREA_UPDATED, clinic_id=form.instance.clinic_id, data={"changed": changed})


def invite_to_call(consultation: Consultation, user: User, *, interpreter: bool = False) -> CallInvite:
    """A link for one more person to join this consultation's call, valid for the day. For an
    interpreter, the link notes the patient's language."""
    host = consultation.call_host or consultation
    return CallInvite.objects.create(
        consultation=host,
        created_by=user,
        expires_at=timezone.now() + timedelta(hours=settings.CALL_INVITE_HOURS),
        interpreter_language=consultation.language if interpreter else "",
    )


def make_prefill_link(
    clinic: Clinic,
    user: User | None,
    *,
    first_name: str,
    last_name: str,
    phone: str = "",
    external_reference: str = "",
    expires_at: datetime | None = None,
) -> str:
    """Keep a known patient's details for a one-click link; return the link's reference.

    The reference is opaque and returned only here: the database keeps its
    SHA-256, so the link (and nothing else) opens the details, until it expires
    (`expires_at`, by default PREFILL_LINK_HOURS from now). `user` is None for a
    link made by an API key; `external_reference` is the booking system's own,
    carried into the consultation the link starts.
    """
    token = new_token()
    with transaction.atomic():  # the event with the link, or neither
        record(Kind.PREFILL_LINK_CREATED, clinic_id=clinic.pk, actor=user)  # whose details: not in the log
        PrefillLink.objects.create(
            clinic=clinic,
            token_hash=PrefillLink.hash_token(token),
            first_name=first_name,
            last_name=last_name,
            phone=phone,
            external_reference=external_reference,
            created_by=user,
            expires_at=expires_at or timezone.now() + timedelta(hours=settings.PREFILL_LINK_HOURS),
        )
    return token


def delete_expired_links() -> tuple[int, int]:
    """Delete one-click links and call invitations past their expiry: (links, invitations) deleted.

    Both already stop working at expiry; this takes the patient's details of a
    one-click link out of the database too. For `manage.py cleanup`.
    """
    now = timezone.now()
    links, _per_model = PrefillLink.objects.filter(expires_at__lte=now).delete()
    invites, _per_model = CallInvite.objects.filter(expires_at__lte=now).delete()
    return links, invites
