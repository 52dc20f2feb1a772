"""How stored codes (enum values, event kinds, states) are shown on the pages: the
``|label`` filter and :func:`label`.

A code in :data:`_LABELS` is shown as its message; any other code becomes a sentence
of its words (``door.opened`` gives "Door opened"), translated when the catalogue has
it. The sentences that rule makes are marked in :data:`_GENERATED` so the catalogue
extracts them: one list for every page, next to the function that makes them.
"""

from __future__ import annotations

from gatepost.web.i18n import N_, gettext

__all__ = ["label"]

_LABELS = {
    "cn_resident": N_("Chinese resident ID"),
    "generic": N_("Other ID"),
    "door_controller": N_("Door controller"),
    "barrier_gate": N_("Barrier gate"),
    "access_point": N_("Access point"),
    "attendance_point": N_("Attendance point"),
    "parking_entry": N_("Parking entry"),
    "parking_exit": N_("Parking exit"),
    "door.held_open": N_("Door held open"),
    "device.tamper": N_("Tamper alarm"),
    "ok": N_("OK"),
}

_GENERATED = (
    # event kinds (event log, live view)
    N_("Access granted"),
    N_("Access denied"),
    N_("Door opened"),
    N_("Door forced"),
    N_("Card presented"),
    N_("Face captured"),
    N_("Plate read"),
    N_("Device online"),
    N_("Device offline"),
    N_("Door remote open"),
    N_("Door remote lockdown"),
    N_("Door remote release"),
    # arrivals (live view)
    N_("Card"),
    N_("Pin"),
    N_("Qr"),
    N_("Face"),
    N_("Plate"),
    N_("Exit button"),
    # gate log: decisions and plate colours
    N_("Allow"),
    N_("Deny"),
    N_("Unknown"),
    N_("Blue"),
    N_("Green"),
    N_("Yellow"),
    N_("White"),
    N_("Black"),
    # audit log: outcomes besides "OK"
    N_("Denied"),
    # webhook delivery states
    N_("Pending"),
    N_("Delivered"),
    N_("Failed"),
    # door modes (besides "Lockdown")
    N_("Normally locked"),
    N_("Scheduled unlock"),
    N_("Locked"),
    N_("Released"),
    # alert kinds and severities
    N_("Duress"),
    N_("Blocked"),
    N_("Watchlist"),
    N_("Anti passback"),
    N_("Forced"),
    N_("Low"),
    N_("Medium"),
    N_("High"),
    N_("Critical"),
)
"""What :func:`label` makes of codes not in :data:`_LABELS` (marked for extraction)."""


def label(value: object) -> str:
    """``value`` (a code) as words in the request's language."""
    text = str(value)
    if text in _LABELS:
        return gettext(_LABELS[text])
    return gettext(text.replace(".", " ").replace("_", " ").capitalize())
