"""Every text the page scripts show, translated on the server.

Scripts receive these through json_script, so the catalogues hold every
user-facing string and no script needs a gettext of its own.
"""

from __future__ import annotations

from django.utils.translation import gettext as _


def call_labels() -> dict[str, str]:
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
        "chat_unread": _("%(n)s new"),
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
        "quality_good": _("Good connection"),
        "quality_fair": _("Fair connection"),
        "quality_poor": _("Poor connection"),
        "quality_detail": _("Round trip %(rtt)s ms, packet loss %(loss)s percent"),
    }


def device_labels() -> dict[str, str]:
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


def dashboard_labels() -> dict[str, str]:
    return {
        "waiting": _("Waiting"),
        "inCall": _("Being seen"),
        "onHold": _("On hold"),
        "waitedFor": _("Waiting for %(time)s"),
        "minutes": _("%(n)s min"),
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
        "phone": _("Phone number"),
    }


def patient_labels() -> dict[str, str]:
    return {
        "waitingHeading": _("You are in the waiting area of %(clinic)s"),
        "statusWaiting": _("Your clinician will be with you soon. Please wait here."),
        "statusOnHold": _("You are on hold. Your clinician will be back with you soon."),
        "position": _("You are number %(position)s in the queue."),
        "positionAndWait": _("You are number %(position)s in the queue. Estimated wait: about %(minutes)s minutes."),
    }
