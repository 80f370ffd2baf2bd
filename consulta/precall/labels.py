"""The texts of the pre-call test and the entry check, for the page scripts (page-data labels).

Keys in camelCase, as the scripts read them; "%(name)s" placeholders are filled in by the script.
"""

from __future__ import annotations

from django.utils.translation import gettext as _


def status_labels() -> dict[str, str]:
    return {
        "statusOk": _("OK"),
        "statusWarning": _("Warning"),
        "statusFailed": _("Failed"),
        "checking": _("Checking…"),
        "notChecked": _("Not checked"),
    }


def figure_labels() -> dict[str, str]:
    return {
        "bandwidthFigures": _("Download %(down)s, upload %(up)s"),
        "kbps": _("%(kbps)s kbit/s"),
        "bandwidthLessThan": _("less than %(kbps)s kbit/s"),
        "notMeasured": _("not measured"),
        "rttFigure": _("Round trip %(ms)s ms"),
        "noAnswer": _("The server did not answer"),
        "relayDirect": _("No relay (TURN) or STUN server is configured: this service uses direct connections only."),
        "relayOnlyNote": _("This service allows relayed calls only: a reachable relay (TURN) server is required."),
        "relayUrl": _("%(url)s: %(transport)s %(result)s"),
        "stunUrl": _("%(url)s (STUN): %(result)s"),
        "reachable": _("reachable"),
        "unreachable": _("not reachable"),
        "transportSummary": _("UDP: %(udp)s, TCP: %(tcp)s, TLS: %(tls)s"),
        "notConfigured": _("not configured"),
        "speakerHeard": _("You heard the test sound"),
        "speakerNotHeard": _("You did not hear the test sound"),
        "speakerWaiting": _("Play the test sound and answer the question"),
    }


def advice_labels() -> dict[str, str]:
    return {
        "adviceBrowser": _("Use a current version of Chrome, Edge, Firefox or Safari."),
        "adviceCamera": _(
            "Allow the camera in your browser's site settings (the icon beside the address), close other apps "
            "that use the camera, or choose another camera."
        ),
        "adviceMicrophone": _(
            "Allow the microphone in your browser's site settings, close other apps that use it, or choose "
            "another microphone."
        ),
        "adviceSpeaker": _("Turn the volume up, check that the sound is not muted, or try headphones."),
        "adviceServer": _(
            "Check that you are connected to the internet. A work network may block the service: ask its IT support."
        ),
        "adviceLatency": _("Your connection is slow to answer. Video may lag."),
        "adviceNetwork": _("Close other apps and browser tabs that use the network (videos, downloads, updates)."),
        "adviceWifi": _("Move closer to the Wi-Fi router, or connect with a network cable."),
        "adviceMobileData": _("On mobile data, switch to Wi-Fi if you can (or the other way round)."),
        "adviceRelay": _(
            "Your network blocks the connection to the relay server. Ask your IT support to allow UDP port 3478 "
            "and TCP port 443 to %(host)s."
        ),
    }


def check_labels() -> dict[str, str]:
    return {
        "checkBrowser": _("Browser"),
        "checkCamera": _("Camera"),
        "checkMicrophone": _("Microphone"),
        "checkSpeaker": _("Speaker"),
        "checkServer": _("Connection to the service"),
        "checkBandwidth": _("Bandwidth"),
        "checkRelay": _("Relay server (TURN)"),
    }


def entry_check_labels() -> dict[str, str]:
    """The entry page's extra texts (the device-check ones are consultations.labels.device_labels)."""
    return {
        **status_labels(),
        **figure_labels(),
        **advice_labels(),
        "bandwidthBlocked": _(
            "Your connection is too slow for a video call just now (%(kbps)s kbit/s; the clinic needs at least "
            "%(block)s kbit/s). Close other apps and tabs that use the network, move closer to the Wi-Fi router "
            "or use a cable, then choose “Check again”."
        ),
        "bandwidthWarned": _(
            "Your connection is slow (%(kbps)s kbit/s; %(warn)s kbit/s or more works best). You can enter, "
            "but the picture and sound may suffer."
        ),
        "bandwidthUnmeasured": _("We could not measure the speed of your connection."),
        "relayFailed": _("Your network blocks the connection this clinic's calls need (the relay server)."),
    }


def precall_labels() -> dict[str, str]:
    return {
        **status_labels(),
        **figure_labels(),
        **advice_labels(),
        **check_labels(),
        "summaryTitle": _("Consulta pre-call test"),
        "allGood": _("Everything works: you are ready for a video call."),
        "someWarnings": _("A video call should work, but see the advice below."),
        "someFailed": _("Something did not work: see the advice below."),
        "copied": _("Copied."),
        "copyFailed": _("Select the text and copy it yourself."),
        "running": _("Testing… this takes about half a minute."),
        "thresholdsNote": _("Warning below %(warn)s kbit/s, blocked below %(block)s kbit/s."),
    }
