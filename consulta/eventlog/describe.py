"""The audit trail's words for an event: who did it, and what happened, read from its row.

One function per group of kinds (administration, consultations, calls), each reading only the
event's own columns and `data`. The log holds no patient's or guest's details, so nothing here
can show them: a consultation is "consultation #12", a guest "a guest". Every string goes
through gettext, at the time of reading: the trail is shown in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from consulta.consultations.models import UrgentReason
from consulta.eventlog.describe_integrations import integration_summary, listed
from consulta.eventlog.kinds import Kind
from consulta.eventlog.models import Event
from consulta.organisations.models import ClinicRole, OrganisationRole

# The kinds each group of the audit trail's filter holds. The group of every other kind: administration.
CONSULTATION_GROUP = frozenset(
    kind for kind in Kind if kind.value.startswith("consultation.") or kind == Kind.PREFILL_LINK_CREATED
)
CALL_GROUP = frozenset(kind for kind in Kind if kind.value.split(".")[0] in ("call", "room_call", "knock"))
ADMINISTRATION_GROUP = frozenset(Kind) - CONSULTATION_GROUP - CALL_GROUP

# What a patient does by themselves: nobody's account, so the trail says "Patient".
_BY_THE_PATIENT = frozenset({Kind.CONSULTATION_ENTERED, Kind.CONSULTATION_LEFT, Kind.ENTRY_CHECK})
_PARTICIPANT_KINDS = frozenset({Kind.PARTICIPANT_JOINED, Kind.PARTICIPANT_LEFT, Kind.CALL_QUALITY})


def who(event: Event) -> str:
    """The account's address as it was; without one, the patient, a guest or the system."""
    if event.actor_label:
        return event.actor_label
    if event.data.get("api_key"):  # a change made through the REST API (consulta/api): the key, by its prefix
        return _("API key csk_%(prefix)s") % {"prefix": event.data["api_key"]}
    role = event.data.get("role") if event.kind in _PARTICIPANT_KINDS else None
    if role == "patient" or event.kind in _BY_THE_PATIENT:
        return _("Patient")
    if role == "guest":
        return _("Guest")
    return _("System")


def label(event: Event) -> str:
    return str(Kind(event.kind).label) if event.kind in Kind.values else event.kind


def summary(event: Event, zone: tzinfo) -> str:
    """A readable sentence of the event's details ("" when its label says all)."""
    kind = Kind(event.kind) if event.kind in Kind.values else None
    if kind is None:
        return ""
    if kind in CONSULTATION_GROUP:
        return capfirst(consultation_summary(kind, event))
    if kind in CALL_GROUP:
        return capfirst(call_summary(kind, event))
    return administration_summary(kind, event, zone)  # some begin with an e-mail address: kept as it is


# --- Shared pieces -------------------------------------------------------------------------


def place(subject: str) -> str:
    """What a subject names, in words: "consultation #12", "meeting room #3"."""
    prefix, _sep, number = subject.partition(":")
    names: dict[str, Callable[[], str]] = {
        "consultation": lambda: _("consultation #%(number)s"),
        "room": lambda: _("meeting room #%(number)s"),
        "userroom": lambda: _("user room #%(number)s"),
    }
    if prefix not in names:
        return subject
    return names[prefix]() % {"number": number}


def duration(seconds: int | float | None) -> str:
    seconds = max(0, round(seconds or 0))
    if seconds < 60:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return _("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": seconds}
    hours, minutes = divmod(minutes, 60)
    return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}


def _people(count: Any) -> str:
    count = count if isinstance(count, int) else 0
    return ngettext("up to %(count)d person", "up to %(count)d people", count) % {"count": count}


def _role(event: Event, code: Any) -> str:
    """A role's name: a clinic's for a clinic's event, else the organisation's."""
    if not isinstance(code, str) or not code:
        return _("no role")
    roles = ClinicRole if event.clinic_id is not None else OrganisationRole
    return str(roles(code).label) if code in roles.values else code


def _local(moment: Any, zone: tzinfo) -> str:
    try:
        parsed = datetime.fromisoformat(str(moment))
    except ValueError:
        return str(moment)
    return timezone.localtime(parsed, zone).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(parsed) else str(moment)


# --- Consultations -------------------------------------------------------------------------


def _urgent_reason(code: Any) -> str:
    """A triage reason's name; a code no longer listed reads as itself."""
    return str(UrgentReason(code).label) if code in UrgentReason.values else str(code or "")


def consultation_summary(kind: Kind, event: Event) -> str:
    """A waiting-area consultation's step, by the consultation's number: never the patient's name."""
    data, consultation = event.data, place(event.subject)
    if kind == Kind.PREFILL_LINK_CREATED:
        return _("For a known patient; their details are not in the log")
    if kind == Kind.CONSULTATION_TRANSFERRED:
        return _("%(consultation)s from %(from)s to %(to)s") % {
            "consultation": consultation,
            "from": event.clinic.name if event.clinic else "—",
            "to": event.other_clinic.name if event.other_clinic else "—",
        }
    if kind == Kind.CONSULTATION_ADDED:
        return _("%(consultation)s into the call of %(call)s") % {
            "consultation": consultation,
            "call": place(str(data.get("call", ""))),
        }
    if kind in (Kind.CONSULTATION_ENDED, Kind.CONSULTATION_LEFT, Kind.CONSULTATION_EXPIRED):
        parts = [_("waited %(time)s") % {"time": duration(data["wait_seconds"])}] if "wait_seconds" in data else []
        if event.seconds:
            parts.append(_("call %(time)s") % {"time": duration(event.seconds)})
        if data.get("participants"):
            parts.append(_people(data["participants"]))
        return _("%(consultation)s: %(details)s") % {"consultation": consultation, "details": ", ".join(parts)}
    if kind == Kind.CONSULTATION_URGENT:
        return _("%(consultation)s: %(reason)s") % {
            "consultation": consultation,
            "reason": _urgent_reason(data.get("reason")),
        }
    if kind == Kind.CONSULTATION_NOT_URGENT and data.get("previous_reason"):
        return _("%(consultation)s (was: %(reason)s)") % {
            "consultation": consultation,
            "reason": _urgent_reason(data.get("previous_reason")),
        }
    return consultation


# --- Calls ---------------------------------------------------------------------------------


def _as_role(code: Any) -> str:
    return {"patient": _("the patient"), "guest": _("a guest"), "staff": _("a team member")}.get(
        str(code), str(code or "")
    )


def call_summary(kind: Kind, event: Event) -> str:
    """Who came and went in which call, by role: a guest or patient is never named."""
    where = place(event.subject)
    if kind == Kind.PARTICIPANT_JOINED:
        return _("Call of %(place)s, as %(role)s") % {"place": where, "role": _as_role(event.data.get("role"))}
    if kind == Kind.PARTICIPANT_LEFT:
        return _("Call of %(place)s, as %(role)s, after %(time)s") % {
            "place": where,
            "role": _as_role(event.data.get("role")),
            "time": duration(event.seconds),
        }
    if kind == Kind.CALL_QUALITY:
        return _("Call of %(place)s, as %(role)s: %(quality)s") % {
            "place": where,
            "role": _as_role(event.data.get("role")),
            "quality": call_quality_summary(event.data),
        }
    if kind == Kind.ROOM_CALL_ENDED:
        return _("%(place)s: %(time)s, %(people)s") % {
            "place": where,
            "time": duration(event.seconds),
            "people": _people(event.data.get("participants")),
        }
    return where


def _number(value: Any) -> int | float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def call_quality_summary(data: dict[str, Any]) -> str:
    """A call.quality event's figures in words: browser, round trip, loss, bitrates, freezes,
    reconnects, relayed or direct; what was not measured is left out."""
    parts = []
    browser = " ".join(str(data.get(name) or "") for name in ("browser", "browser_version")).strip()
    if browser:
        system = str(data.get("os") or "")
        parts.append(_("%(browser)s on %(os)s") % {"browser": browser, "os": system} if system else browser)
    if (rtt := _number(data.get("rtt_ms"))) is not None:
        parts.append(_("round trip %(ms)s ms") % {"ms": rtt})
    if (loss := _number(data.get("loss_pct"))) is not None:
        parts.append(_("packet loss %(percent)s %%") % {"percent": f"{loss:.1f}"})
    if (received := _number(data.get("kbps_in"))) is not None:
        parts.append(_("received %(kbps)s kbit/s") % {"kbps": received})
    if (sent := _number(data.get("kbps_out"))) is not None:
        parts.append(_("sent %(kbps)s kbit/s") % {"kbps": sent})
    freezes = _number(data.get("freezes")) or 0
    if freezes:
        seconds = _number(data.get("freeze_seconds")) or 0
        parts.append(
            ngettext("%(count)d video freeze (%(seconds)s s)", "%(count)d video freezes (%(seconds)s s)", int(freezes))
            % {"count": freezes, "seconds": f"{seconds:.1f}"}
        )
    reconnects = _number(data.get("reconnects")) or 0
    if reconnects:
        parts.append(ngettext("%(count)d reconnect", "%(count)d reconnects", int(reconnects)) % {"count": reconnects})
    if rtt is not None or data.get("relayed"):
        parts.append(_("relayed") if data.get("relayed") else _("direct"))
    return ", ".join(parts) or _("nothing measured")


# --- Administration ------------------------------------------------------------------------


def _clinic_fields() -> dict[str, str]:
    return {"name": _("name"), "time_zone": _("time zone")}


def _waiting_area_fields() -> dict[str, str]:
    return {
        "is_enabled": _("open for patients"),
        "closed_message": _("message when closed"),
        "show_queue_position": _("queue position"),
        "device_check": _("device check"),
        "bandwidth_warn_kbps": _("bandwidth warning level"),
        "bandwidth_block_kbps": _("bandwidth block level"),
        "opening_hours": _("opening hours"),
        "entry_fields": _("questions"),
    }


def _alert_fields() -> dict[str, str]:
    return {
        "new_caller_email": _("e-mail for new callers"),
        "new_caller_sms": _("text message for new callers"),
        "phone": _("mobile number"),
        "team_after_minutes": _("escalation to the team"),
        "admin_after_minutes": _("escalation to the admins"),
    }


def _role_change(event: Event) -> str:
    data, person = event.data, event.target_label
    parts = []
    if data.get("from") != data.get("to"):
        parts.append(
            _("Role changed from %(old)s to %(new)s for %(person)s")
            % {"old": _role(event, data.get("from")), "new": _role(event, data.get("to")), "person": person}
        )
    referrer = data.get("service_referrer")
    if isinstance(referrer, list) and len(referrer) == 2 and referrer[0] != referrer[1]:
        words = (
            _("Made a service referrer: %(person)s") if referrer[1] else _("No longer a service referrer: %(person)s")
        )
        parts.append(words % {"person": person})
    return "; ".join(parts)


def _invitation(kind: Kind, event: Event) -> str:
    details = {"email": event.target_label, "role": _role(event, event.data.get("role"))}
    words = {
        Kind.INVITATION_SENT: _("Invitation to %(email)s as %(role)s"),
        Kind.INVITATION_RESENT: _("Invitation to %(email)s as %(role)s sent again"),
        Kind.INVITATION_WITHDRAWN: _("Invitation to %(email)s as %(role)s withdrawn"),
        Kind.INVITATION_ACCEPTED: _("%(email)s accepted the invitation as %(role)s"),
    }
    return words[kind] % details


def _rooms(kind: Kind, event: Event, zone: tzinfo) -> str:
    data, where = event.data, place(event.subject)
    if kind == Kind.MEETING_ROOM_CREATED:
        return _("Meeting room created: %(name)s") % {"name": data.get("name", where)}
    if kind == Kind.MEETING_ROOM_RENAMED:
        return _("Meeting room renamed from “%(old)s” to “%(new)s”") % {"old": data.get("from"), "new": data.get("to")}
    if kind == Kind.MEETING_ROOM_DELETED:
        return _("Meeting room deleted: %(name)s") % {"name": data.get("name", where)}
    if kind == Kind.USER_ROOM_ENABLED:
        return _("User room enabled for %(person)s") % {"person": event.target_label}
    if kind == Kind.USER_ROOM_DISABLED:
        return _("User room disabled for %(person)s") % {"person": event.target_label}
    if kind == Kind.GUEST_LINK_CREATED:
        return _("Guest link #%(link)s to %(place)s, valid until %(until)s") % {
            "link": data.get("link"),
            "place": where,
            "until": _local(data.get("expires_at"), zone),
        }
    return _("Guest link #%(link)s to %(place)s revoked") % {"link": data.get("link"), "place": where}


def administration_summary(kind: Kind, event: Event, zone: tzinfo) -> str:
    """Who changed what for whom: roles, the team, invitations, settings, rooms and links."""
    data = event.data
    if kind == Kind.ROLE_CHANGED:
        return _role_change(event)
    if kind == Kind.MEMBER_REMOVED:
        return _("Removed from the team: %(person)s (%(role)s)") % {
            "person": event.target_label,
            "role": _role(event, data.get("role")),
        }
    if kind == Kind.ORGANISATION_ROLE_REMOVED:
        return _("Organisation role taken from %(person)s (%(role)s)") % {
            "person": event.target_label,
            "role": _role(event, data.get("role")),
        }
    if kind.value.startswith("invitation."):
        return _invitation(kind, event)
    if kind == Kind.CLINIC_CREATED:
        return _("Clinic created: %(name)s") % {"name": data.get("name", "")}
    if kind == Kind.CLINIC_UPDATED:
        return _("Clinic settings changed: %(fields)s") % {"fields": listed(data.get("changed"), _clinic_fields())}
    if kind == Kind.WAITING_AREA_UPDATED:
        fields = listed(data.get("changed"), _waiting_area_fields())
        return _("Waiting area settings changed: %(fields)s") % {"fields": fields}
    if kind == Kind.ALERTS_CHANGED:
        fields = listed(data.get("changed"), _alert_fields())
        return _("Alert settings changed: %(fields)s") % {"fields": fields} if fields else ""
    if kind.value.split(".")[0] in ("meeting_room", "user_room", "guest_link"):
        return _rooms(kind, event, zone)
    if kind == Kind.ENTRY_CHECK:
        return _entry_check(event)
    return integration_summary(kind, event)


def _entry_check_words() -> dict[str, str]:
    return {
        "browser": _("browser"),
        "camera": _("camera"),
        "microphone": _("microphone"),
        "server": _("connection to the server"),
        "bandwidth": _("bandwidth"),
        "relay": _("relay server"),
    }


def _entry_check(event: Event) -> str:
    """ "Entry check: blocked (bandwidth 150 kbit/s)": the outcome, what failed or warned, the figures."""
    data = event.data
    outcomes = {"passed": _("passed"), "warned": _("warned"), "blocked": _("blocked")}
    outcome = outcomes.get(str(data.get("outcome")), str(data.get("outcome", "")))
    details = []
    for key, words in (("failed", _("failed: %(checks)s")), ("warned", _("warning: %(checks)s"))):
        if data.get(key):
            details.append(words % {"checks": listed(data.get(key), _entry_check_words())})
    down, up = data.get("down_kbps"), data.get("up_kbps")
    if isinstance(down, int) and isinstance(up, int):
        details.append(_("bandwidth %(kbps)s kbit/s") % {"kbps": min(down, up)})
    if isinstance(data.get("rtt_ms"), int):
        details.append(_("round trip %(ms)s ms") % {"ms": data["rtt_ms"]})
    family = " / ".join(str(data[k]) for k in ("browser", "os") if data.get(k))
    if family:
        details.append(family)
    words = _("Entry check: %(outcome)s (%(details)s)") if details else _("Entry check: %(outcome)s")
    return words % {"outcome": outcome, "details": "; ".join(details)}
