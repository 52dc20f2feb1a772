"""Errors raised by domain rules."""

from __future__ import annotations

from collections.abc import Mapping

from gatepost.errors import Conflict, ValidationFailed

__all__ = [
    "InvalidIdentityNumber",
    "InvalidPhoneNumber",
    "InvalidSchedule",
    "InvalidSlug",
    "InvalidZone",
    "InvitationRefused",
    "ZoneCycle",
]


class InvalidIdentityNumber(ValidationFailed):
    code = "invalid_identity_number"

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid identity number: {reason}", field="identity_number")


class InvalidPhoneNumber(ValidationFailed):
    code = "invalid_phone_number"

    def __init__(self, reason: str) -> None:
        super().__init__(f"invalid phone number: {reason}", field="phone")


class InvalidSlug(ValidationFailed):
    code = "invalid_slug"

    def __init__(self) -> None:
        super().__init__(
            "slug must be 3-40 characters: lowercase letters, digits and hyphens, "
            "starting with a letter",
            field="slug",
        )


class InvitationRefused(Conflict):
    """An invitation token that cannot be accepted; ``reason`` is ``invalid`` (no such
    invitation), ``used``, ``revoked`` or ``expired``. Nothing was changed."""

    code = "invitation_refused"
    _MESSAGES = {
        "invalid": "the invitation link is not valid",
        "used": "this invitation has already been used",
        "revoked": "this invitation was revoked",
        "expired": "this invitation has expired",
    }

    def __init__(self, reason: str) -> None:
        super().__init__(self._MESSAGES.get(reason, self._MESSAGES["invalid"]))
        self.reason = reason
        self.field = "token"


class InvalidSchedule(ValidationFailed):
    """A weekly schedule that cannot be used; ``field`` names the interval, e.g.
    ``intervals.mon.1`` (the second interval given for Monday)."""

    code = "invalid_schedule"

    def __init__(
        self, reason: str, *, field: str, params: Mapping[str, object] | None = None
    ) -> None:
        super().__init__("invalid schedule: " + reason, field=field, params=params)
        self.template = reason  # what the UI translates: the form names the schedule


class InvalidZone(ValidationFailed):
    """A zone that cannot be placed in the site's zone tree (e.g. an unknown parent)."""

    code = "invalid_zone"

    def __init__(self, reason: str, *, zone_id: str, field: str = "parent_id") -> None:
        super().__init__(f"invalid zone {zone_id!r}: {reason}", field=field)
        self.zone_id = zone_id


class ZoneCycle(InvalidZone):
    """A zone that would be its own ancestor through its parent zones."""

    code = "zone_cycle"

    def __init__(self, *, zone_id: str, path: tuple[str, ...]) -> None:
        super().__init__("its parent zones form a cycle: " + " -> ".join(path), zone_id=zone_id)
        self.path = path
