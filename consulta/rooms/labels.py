"""Every text the room pages' scripts show, translated on the server.

Like `consultations/labels.py`: scripts receive these through json_script, so
the catalogues hold every user-facing string. The call screen's own texts
(chat, mute, disconnect, layout) are in `consultations.labels.call_labels`.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from consulta.core.languages import plural_label


def room_labels() -> dict[str, str | list[str]]:
    return {
        # The room page before and around the call.
        "enter_room": _("Enter the room"),
        "leave_room": _("Leave the room"),
        "guest_waiting": _("A guest is waiting to be let in."),
        "room_closed": _("This room is no longer available to you."),
        # Knocks, as hosts see them.
        "knocks": _("Guests at the door"),
        "knocking": _("%(name)s is knocking"),
        "admit": _("Let in"),
        "decline": _("Decline"),
        "admit_name": _("Let %(name)s in"),
        "decline_name": _("Decline %(name)s"),
        "knock_admitted": _("%(name)s was let in."),
        "knock_declined": _("%(name)s was declined."),
        "knock_withdrawn": _("%(name)s stopped knocking."),
        "knock_answered": _("Someone else has already answered this knock."),
        # In the call: the knocks and the invitation are its "Guests" panel; the count of
        # those knocking follows the panel's name on its button ("Guests 2 knocking").
        "guests": _("Guests"),
        "guests_knocking": plural_label(lambda n: ngettext("%(n)s knocking", "%(n)s knocking", n)),
        # Knocking, as a guest sees it.
        "knock_pending": _("Waiting for someone to let you in"),
        "knock_pending_help": _("Someone in the room will let you in soon. Keep this page open."),
        "admitted": _("You have been let in. Joining the call…"),
        "declined": _("You were not let in. You can close this page."),
        "on_hold": _("You are on hold. Someone will let you back in."),
        "link_invalid": _("This guest link is no longer valid."),
        "patients_refused": _("Patients use the waiting area: rooms are for the clinic's team and its guests."),
        # Inviting somebody into the call by link.
        "invite": _("Invite by link"),
        "invite_email": _("E-mail address (optional)"),
        "invite_email_help": _("We send the link there. Leave it empty to copy the link yourself."),
        "invite_create": _("Make an invitation link"),
        "invite_link": _("Invitation link"),
        "invite_copied": _("Link copied."),
        "invite_failed": _("The invitation could not be made. Try again."),
    }
