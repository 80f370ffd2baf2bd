"""Every kind of event the log records, with its label for the audit trail.

A `Literal`-backed TextChoices: `record("consultation.answerd", ...)` fails mypy, not a report.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    # A waiting-area consultation, from entry to its end. `subject` is "consultation:<id>".
    CONSULTATION_ENTERED = "consultation.entered", _("Caller entered the waiting area")
    CONSULTATION_ANSWERED = "consultation.answered", _("Caller answered")
    CONSULTATION_HELD = "consultation.held", _("Caller put on hold")
    CONSULTATION_RESUMED = "consultation.resumed", _("Call resumed from hold")
    CONSULTATION_TRANSFERRED = "consultation.transferred", _("Caller transferred")
    CONSULTATION_ADDED = "consultation.added_to_call", _("Caller added to another call")
    CONSULTATION_ENDED = "consultation.ended", _("Consultation ended")
    CONSULTATION_LEFT = "consultation.left", _("Caller left")
    CONSULTATION_EXPIRED = "consultation.expired", _("Caller's connection expired")
    CONSULTATION_URGENT = "consultation.marked_urgent", _("Caller marked urgent")
    CONSULTATION_NOT_URGENT = "consultation.urgency_cleared", _("Caller no longer marked urgent")
    # People in calls, by role and account: never a patient's or guest's name.
    PARTICIPANT_JOINED = "call.joined", _("Joined a call")
    PARTICIPANT_LEFT = "call.left", _("Left a call")
    ROOM_CALL_STARTED = "room_call.started", _("Room call started")
    ROOM_CALL_ENDED = "room_call.ended", _("Room call ended")
    # A summary of one person's connection over a call, when they leave it: browser, round trip,
    # loss, bitrate, freezes, reconnects, relayed or direct. Never anything of the call itself.
    CALL_QUALITY = "call.quality", _("Call quality summary")
    # A device and connection check before entering a waiting area: what failed, and whether
    # the clinic's policy let the caller in with a warning or blocked them. Names nobody.
    ENTRY_CHECK = "entry_check.completed", _("Entry check completed")
    KNOCK_ADMITTED = "knock.admitted", _("Guest let in")
    KNOCK_DECLINED = "knock.declined", _("Guest declined")
    # Administration.
    INVITATION_SENT = "invitation.sent", _("Invitation sent")
    INVITATION_RESENT = "invitation.resent", _("Invitation sent again")
    INVITATION_WITHDRAWN = "invitation.withdrawn", _("Invitation withdrawn")
    INVITATION_ACCEPTED = "invitation.accepted", _("Invitation accepted")
    ROLE_CHANGED = "role.changed", _("Role changed")
    MEMBER_REMOVED = "member.removed", _("Removed from a clinic's team")
    ORGANISATION_ROLE_REMOVED = "organisation_role.removed", _("Organisation role removed")
    CLINIC_CREATED = "clinic.created", _("Clinic created")
    CLINIC_UPDATED = "clinic.updated", _("Clinic settings changed")
    WAITING_AREA_UPDATED = "waiting_area.updated", _("Waiting area settings changed")
    MEETING_ROOM_CREATED = "meeting_room.created", _("Meeting room created")
    MEETING_ROOM_RENAMED = "meeting_room.renamed", _("Meeting room renamed")
    MEETING_ROOM_DELETED = "meeting_room.deleted", _("Meeting room deleted")
    USER_ROOM_ENABLED = "user_room.enabled", _("User room enabled")
    USER_ROOM_DISABLED = "user_room.disabled", _("User room disabled")
    GUEST_LINK_CREATED = "guest_link.created", _("Guest link made")
    GUEST_LINK_REVOKED = "guest_link.revoked", _("Guest link revoked")
    PREFILL_LINK_CREATED = "prefill_link.created", _("One-click link made")
    ALERTS_CHANGED = "alerts.changed", _("Alert settings changed")
    # Signing in: single sign-on and two-factor login (consulta/sso, consulta/twofactor).
    SIGN_IN_POLICY_CHANGED = "organisation.sign_in_changed", _("Sign-in requirements changed")
    SSO_CONFIGURED = "sso.configured", _("Single sign-on settings changed")
    SSO_LINKED = "sso.linked", _("Account linked to single sign-on")
    MFA_ENROLLED = "mfa.enrolled", _("Two-factor login set up")
    MFA_REMOVED = "mfa.removed", _("Two-factor login removed")
    MFA_RESET = "mfa.reset", _("Two-factor login reset by an admin")
    MFA_RECOVERY_CODES_MADE = "mfa.recovery_codes_made", _("New recovery codes made")
    MFA_RECOVERY_CODE_USED = "mfa.recovery_code_used", _("Recovery code used to sign in")
    # The REST API and webhooks (consulta/api, consulta/webhooks).
    API_KEY_CREATED = "api_key.created", _("API key made")
    API_KEY_REVOKED = "api_key.revoked", _("API key revoked")
    WEBHOOK_CREATED = "webhook.created", _("Webhook endpoint added")
    WEBHOOK_UPDATED = "webhook.updated", _("Webhook endpoint changed")
    WEBHOOK_DELETED = "webhook.deleted", _("Webhook endpoint deleted")
    WEBHOOK_DISABLED = "webhook.disabled", _("Webhook endpoint disabled after failures")


# The kinds an audit trail of administration shows by default ("who changed what").
CONSULTATION_KINDS = frozenset(kind for kind in Kind if kind.value.startswith("consultation."))
