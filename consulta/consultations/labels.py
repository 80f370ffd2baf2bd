"""Every text the page scripts show, translated on the server.

Scripts receive these through json_script, so the catalogues hold every
user-facing string and no script needs a gettext of its own. A label with a
count is a list, one text per plural form of the language (`plural_label`;
scripts choose with static/js/call/plural.js).
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from consulta.core.languages import plural_label

Labels = dict[str, str | list[str]]


def call_labels() -> Labels:
    return {
        "you": _("You"),
        "microphone": _("Microphone"),
        "microphone_off": _("Microphone off"),
        "camera": _("Camera"),
        "camera_off": _("Camera off"),
        "leave": _("Leave call"),
        "connecting": _("Connecting…"),
        "connected": _("Connected"),
        "reconnecting": _("Reconnecting…"),
        "failed": _("Connection lost"),
        "call_full": _("This call is full: it already has 6 people."),
        "serverLost": _("Connection to the server lost. Reconnecting…"),
        "serverBack": _("Connected to the server."),
        "muted": _("Muted"),
        "videoOff": _("Video off"),
        "participants": _("Participants"),
        "participant": _("Participant"),
        "controls": _("Call controls"),
        "waiting": _("Waiting for the others to join…"),
        "left": _("You left the call."),
        "error": _("The call could not continue. Reload the page to try again."),
        "removed": _("You were removed from the call."),
        # The call's tools (static/js/call/tools.js and the modules it uses).
        "pin": _("Pin"),
        "speaker_layout": _("Speaker view"),
        "share_screen": _("Share screen"),
        "sharing_on": _("Sharing your screen"),
        "share_failed": _("Your screen could not be shared."),
        "chat": _("Chat"),
        "chat_empty": _("No messages yet. Messages are not saved: they disappear when the call ends."),
        "chat_message": _("Chat message"),
        "chat_send": _("Send"),
        "chat_unread": plural_label(lambda n: ngettext("%(n)s new", "%(n)s new", n)),
        "duration": _("Call duration"),
        "devices": _("Devices"),
        "speaker": _("Speaker"),
        "defaultDevice": _("Default"),
        "camera_fallback": _("Camera %(number)s"),
        "microphone_fallback": _("Microphone %(number)s"),
        "speaker_fallback": _("Speaker %(number)s"),
        "device_failed": _("That device could not be used. Choose another one."),
        "role_patient": _("Patient"),
        "role_staff": _("Clinic team"),
        "role_guest": _("Guest"),
        "ask_to_mute": _("Ask to mute"),
        "asked_to_mute": _("You asked %(name)s to mute their microphone."),
        "hold_participant": _("Put on hold"),
        "disconnect": _("Disconnect"),
        "disconnect_confirm": _("Disconnect %(name)s from the call?"),
        "muted_by_host": _("%(name)s switched your microphone off. You can switch it on again."),
        # The call screen itself (static/js/call/view.js).
        "fullscreen": _("Full screen"),
        "move_picture": _("Move my picture"),
        "shortcuts": _("Keyboard shortcuts (M, V, Shift+L)"),
        **call_quality_labels(),
        **call_app_labels(),
    }


def call_quality_labels() -> Labels:
    """Connection quality: the tiles' grades (static/js/call/quality.js) and the participants
    panel's browser and figures (static/js/call/roster.js)."""
    return {
        "quality_good": _("Good connection"),
        "quality_fair": _("Fair connection"),
        "quality_poor": _("Poor connection"),
        "quality_detail": _("Round trip %(rtt)s ms, packet loss %(loss)s percent"),
        "client": _("%(browser)s %(version)s on %(os)s"),
        "client_unknown": _("Browser not known"),
        "connection_figures": _(
            "Received %(kbps_in)s kbit/s, sent %(kbps_out)s kbit/s, round trip %(rtt)s ms, packet loss %(loss)s percent"
        ),
        "connection_direct": _("Direct connection"),
        "connection_relayed": _("Relayed (%(protocol)s)"),
        "connection_relayed_plain": _("Relayed"),
    }


def call_app_labels() -> Labels:
    """The call's apps: sharing files and the whiteboard (static/js/call/apps.js and its modules)."""
    return {
        # Not a text: the largest file the apps send or take, in MB (settings.CALL_FILE_MAX_MB).
        "file_max_mb": str(settings.CALL_FILE_MAX_MB),
        "apps_view_only": _("Apps view-only for guests and patients"),
        "apps_view_only_note": _(
            "The clinic made the apps view-only: you can see the whiteboard and receive files, "
            "but not draw or send files."
        ),
        "apps_view_only_host_note": _(
            "Guests and patients can see the whiteboard and receive files, but not draw or send files."
        ),
        "apps_view_only_on": _("%(name)s made the apps view-only for guests and patients."),
        "apps_view_only_off": _("%(name)s let everyone draw and send files again."),
        "files": _("Files"),
        "files_hint": _(
            "Files go straight to the others' browsers, never through the clinic's server. At most %(mb)s MB."
        ),
        "file_choose": _("File to send"),
        "file_to": _("Send to"),
        "file_everyone": _("Everyone"),
        "file_send": _("Send file"),
        "file_none_chosen": _("Choose a file first."),
        "file_too_large": _("That file is too large: at most %(mb)s MB."),
        "file_nobody": _("Nobody is connected to send it to yet."),
        "file_unreadable": _("That file could not be read."),
        "file_meta": _("%(size)s, %(type)s"),
        "file_from": _("from %(name)s"),
        "file_to_person": _("to %(name)s"),
        "file_progress": _("%(done)s of %(total)s"),
        "file_offered": _("%(name)s offers you a file: %(file)s."),
        "file_offered_here": _("%(name)s offers you this file."),
        "file_waiting": _("Waiting for %(name)s to accept."),
        "file_sending": _("Sending…"),
        "file_receiving": _("Receiving…"),
        "file_checking": _("Sent. Waiting for their check…"),
        "file_verifying": _("Checking the file…"),
        "file_delivered": _("%(name)s received it intact."),
        "file_ready": _("Received intact (size and checksum match). Save it to keep it."),
        "file_ready_named": _("%(file)s arrived intact and can be saved."),
        "file_damaged": _("The file did not arrive intact (its size or checksum differs) and was discarded."),
        "file_damaged_sent": _("It did not arrive intact. Send it again."),
        "file_declined": _("%(name)s declined it."),
        "file_cancelled": _("Cancelled."),
        "file_failed": _("Stopped: the connection was lost."),
        "file_accept": _("Accept"),
        "file_decline": _("Decline"),
        "file_cancel": _("Cancel"),
        "file_save": _("Save"),
        "file_remove": _("Remove"),
        "whiteboard": _("Whiteboard"),
        "board_tools": _("Drawing tools"),
        "board_colour": _("Colour"),
        "colour_black": _("Black"),
        "colour_red": _("Red"),
        "colour_blue": _("Blue"),
        "colour_green": _("Green"),
        "colour_orange": _("Orange"),
        "board_width": _("Line width"),
        "width_thin": _("Thin"),
        "width_medium": _("Medium"),
        "width_thick": _("Thick"),
        "width_widest": _("Very thick"),
        "board_eraser": _("Eraser"),
        "board_undo": _("Undo my last stroke"),
        "board_clear": _("Clear the board"),
        "board_clear_confirm": _("Clear the whiteboard for everyone in the call?"),
        "board_save": _("Save as image"),
        # The name of the saved picture: a file name, so keep it short and without spaces.
        "board_file_name": _("whiteboard.png"),
        "board_canvas": _("Shared whiteboard"),
        "board_description": _(
            "A drawing shared with everyone in the call: draw with a mouse, a pen or a finger. "
            "Nothing of it is kept after the call."
        ),
    }


def device_labels() -> Labels:
    return {
        "camera": _("Camera"),
        "microphone": _("Microphone"),
        "speaker": _("Speaker"),
        "defaultDevice": _("Default"),
        "camera_fallback": _("Camera %(number)s"),
        "microphone_fallback": _("Microphone %(number)s"),
        "speaker_fallback": _("Speaker %(number)s"),
        "checking": _("Checking…"),
        "ok": _("Works"),
        "failedCheck": _("Does not work"),
        "cameraFailed": _("We cannot use your camera. Allow camera access in your browser, or choose another camera."),
        "microphoneFailed": _(
            "We cannot use your microphone. Allow microphone access in your browser, or choose another microphone."
        ),
        "serverFailed": _("We cannot reach the clinic's server. Check your internet connection."),
        "browserFailed": _("This browser cannot make video calls. Use a recent Chrome, Edge, Firefox or Safari."),
        "warnContinue": _("Something did not work. You can still enter, but the clinic may not see or hear you."),
        "blockWait": _("Fix what did not work, then try again: the clinic needs to see and hear you."),
        "allGood": _("Everything works."),
        "retry": _("Check again"),
    }


def dashboard_labels() -> Labels:
    return {
        "waiting": _("Waiting"),
        "inCall": _("Being seen"),
        "onHold": _("On hold"),
        "waitedFor": _("Waiting for %(time)s"),
        "minutes": plural_label(lambda n: ngettext("%(n)s min", "%(n)s min", n)),
        "offline": _("Connection lost: may be reloading"),
        "join": _("Join"),
        "resume": _("Resume"),
        "notify": _("Send message"),
        "notifyPrompt": _("Message to %(name)s"),
        "hold": _("Put on hold"),
        "transfer": _("Transfer"),
        "transferTo": _("Transfer %(name)s to"),
        "addToCall": _("Add to this call"),
        "end": _("End consultation"),
        "endConfirm": _("End the consultation with %(name)s? Their space will close."),
        "noCallers": _("Nobody is waiting."),
        "newCaller": _("New caller: %(name)s"),
        "titleCount": _("(%(n)s) Waiting area"),
        "notificationsOn": _("Desktop notifications are on."),
        "notificationsDenied": _("Desktop notifications are blocked by your browser."),
        "send": _("Send"),
        "cancel": _("Cancel"),
        "liveOk": _("Live"),
        "liveLost": _("Reconnecting to the live queue…"),
        "accessEnded": _("You no longer have access to this waiting area. Log in again, or ask your clinic admin."),
        "failedAction": _("That did not work. Try again."),
        "inCallWith": _("In a call with another caller"),
        # Triage: a caller the team marked urgent, first in the queue (the reason's label in %(reason)s).
        "urgentBadge": _("Urgent: %(reason)s"),
        "markUrgent": _("Mark urgent"),
        "notUrgent": _("Not urgent"),
        "urgentReasonFor": _("Why is %(name)s urgent?"),
        "urgentSubmit": _("Move to the front of the queue"),
        "phone": _("Phone number"),
        # The consultation's call, held on the dashboard (static/js/pages/consultation-call.js).
        "callWith": _("Call with %(name)s"),
        "consultation": _("Consultation"),
        "consultationPanel": _("Caller and actions"),
        "messagePatient": _("Message to the patient"),
        "inviteHeading": _("Invite someone into this call"),
        "inviteHelp": _(
            "For an interpreter or a relative: they open the link, give their name and join at once. "
            "The link works until the consultation ends."
        ),
        "makeInvite": _("Make an invitation link"),
        "inviteInterpreter": _("Invite an interpreter"),
        "patientLanguage": _("Language"),
        "inviteLink": _("Invitation link"),
        "waitingCallers": _("Waiting callers"),
        "addWaiting": _("Add a waiting caller"),
        "consultationEnded": _("This consultation has ended."),
        "backToQueue": _("Back to the waiting area"),
    }


def patient_labels() -> Labels:
    return {
        "waitingHeading": _("You are in the waiting area of %(clinic)s"),
        "statusWaiting": _("Your clinician will be with you soon. Please wait here."),
        "statusOnHold": _("You are on hold. Your clinician will be back with you soon."),
        "position": _("You are number %(position)s in the queue."),
        "positionAndWait": plural_label(
            lambda n: ngettext(
                "You are number %(position)s in the queue. Estimated wait: about %(minutes)s minute.",
                "You are number %(position)s in the queue. Estimated wait: about %(minutes)s minutes.",
                n,
            )
        ),
    }
