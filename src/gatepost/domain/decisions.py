"""What an access decision says and does: outcome, reasons, and effects.

A :class:`Decision` carries an :class:`Outcome`, machine-readable :class:`Reason` values
(the first is the main one, the rest annotate) and the effects the pipeline carries out
after storing it, in this order: at most one :class:`Command` to the device, a
:class:`PresenceChange` for a granted person, and :class:`Alert` values.

The text a device shows comes from the main reason only and never reveals a block list,
a watch list or a duress PIN: a blocked person reads the same "Access denied" as a
suspended one, and a duress PIN gets exactly the command the normal PIN would get.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gatepost.domain.arrivals import ArrivalKind, Factor

__all__ = [
    "Alert",
    "AlertKind",
    "Command",
    "CommandKind",
    "Decision",
    "Effect",
    "Outcome",
    "PresenceChange",
    "Reason",
    "Severity",
    "display_text",
    "prompt_text",
]


class Outcome(StrEnum):
    GRANT = "grant"
    DENY = "deny"
    SECOND_FACTOR = "second_factor"
    ALERT_ONLY = "alert_only"
    """No command (the door is held open by its mode) but an alert: a blocked arrival."""


class Reason(StrEnum):
    GRANTED = "granted"
    EXIT_REQUEST = "exit_request"
    DOOR_UNLOCKED = "door_unlocked"
    LOCKDOWN = "lockdown"
    UNKNOWN_CREDENTIAL = "unknown_credential"
    FACE_NOT_RECOGNISED = "face_not_recognised"
    UNKNOWN_PLATE = "unknown_plate"
    FACTORS_DISAGREE = "factors_disagree"
    FACE_UNCERTAIN = "face_uncertain"
    BLOCKED = "blocked"
    CREDENTIAL_REVOKED = "credential_revoked"
    CREDENTIAL_NOT_YET_VALID = "credential_not_yet_valid"
    CREDENTIAL_EXPIRED = "credential_expired"
    VEHICLE_OUTSIDE_VALIDITY = "vehicle_outside_validity"
    PERSON_INACTIVE = "person_inactive"
    PERSON_OUTSIDE_VALIDITY = "person_outside_validity"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    FACTOR_NOT_ACCEPTED = "factor_not_accepted"
    SECOND_FACTOR_REQUIRED = "second_factor_required"
    NO_ACCESS_LEVEL = "no_access_level"
    OUTSIDE_SCHEDULE = "outside_schedule"
    HOLIDAY = "holiday"
    DOOR_LOCKED = "door_locked"
    FIRST_PERSON_NOT_IN = "first_person_not_in"
    ANTI_PASSBACK = "anti_passback"
    ANTI_PASSBACK_SOFT = "anti_passback_soft"
    DURESS = "duress"
    WATCHLISTED = "watchlisted"


class CommandKind(StrEnum):
    OPEN = "open"
    DENY = "deny"
    RAISE_BARRIER = "raise_barrier"
    KEEP_CLOSED = "keep_closed"
    LOCKDOWN = "lockdown"
    """Hold the door closed (or a turnstile locked) until ``release``; only an exit
    button or an operator's remote open passes."""
    RELEASE = "release"
    """End a lockdown: back to the door's normal mode."""


@dataclass(frozen=True)
class Command:
    """What the device at ``access_point_id`` must do, with a short text to show."""

    kind: CommandKind
    access_point_id: str
    display: str = ""


@dataclass(frozen=True)
class PresenceChange:
    """A granted person moves from one zone to another (None: outside the site)."""

    person_id: str
    from_zone: str | None
    to_zone: str | None
    at: datetime


class AlertKind(StrEnum):
    DURESS = "duress"
    BLOCKED = "blocked"
    WATCHLIST = "watchlist"
    ANTI_PASSBACK = "anti_passback"
    FORCED = "forced"
    """A door opened without a grant (raised by the door-sensor event, not by decide)."""


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


@dataclass(frozen=True)
class Alert:
    """An alert for operators; ``silent`` ones never show or sound at the device."""

    kind: AlertKind
    severity: Severity
    access_point_id: str
    at: datetime
    person_id: str | None = None
    vehicle_id: str | None = None
    silent: bool = False


Effect = Command | PresenceChange | Alert


@dataclass(frozen=True)
class Decision:
    """The decision on one arrival; ``person_id`` is the person its factors confirmed."""

    outcome: Outcome
    reasons: tuple[Reason, ...]
    effects: tuple[Effect, ...] = ()
    person_id: str | None = None

    def __post_init__(self) -> None:
        if not self.reasons:
            raise ValueError("a decision has at least one reason")

    @property
    def reason(self) -> Reason:
        """The main reason."""
        return self.reasons[0]

    @property
    def command(self) -> Command | None:
        return next((e for e in self.effects if isinstance(e, Command)), None)

    @property
    def presence_changes(self) -> tuple[PresenceChange, ...]:
        return tuple(e for e in self.effects if isinstance(e, PresenceChange))

    @property
    def alerts(self) -> tuple[Alert, ...]:
        return tuple(e for e in self.effects if isinstance(e, Alert))


_DENIED = "Access denied"
_NOT_RECOGNISED = "Not recognised"

_DISPLAY: dict[Reason, str] = {
    Reason.LOCKDOWN: "Lockdown",
    Reason.UNKNOWN_CREDENTIAL: _NOT_RECOGNISED,
    Reason.FACE_NOT_RECOGNISED: _NOT_RECOGNISED,
    Reason.UNKNOWN_PLATE: "Vehicle not recognised",
    Reason.FACTORS_DISAGREE: _DENIED,
    Reason.BLOCKED: _DENIED,
    Reason.CREDENTIAL_REVOKED: "{credential} not valid",
    Reason.CREDENTIAL_NOT_YET_VALID: "{credential} not valid yet",
    Reason.CREDENTIAL_EXPIRED: "{credential} expired",
    Reason.VEHICLE_OUTSIDE_VALIDITY: "Vehicle pass not valid",
    Reason.PERSON_INACTIVE: _DENIED,
    Reason.PERSON_OUTSIDE_VALIDITY: "Access not valid now",
    Reason.CONSENT_WITHDRAWN: "Face not used: show card",
    Reason.FACTOR_NOT_ACCEPTED: "Not accepted here",
    Reason.NO_ACCESS_LEVEL: "No access here",
    Reason.OUTSIDE_SCHEDULE: "Not allowed now",
    Reason.HOLIDAY: "Closed for holiday",
    Reason.DOOR_LOCKED: "Door locked",
    Reason.FIRST_PERSON_NOT_IN: "Not open yet",
    Reason.ANTI_PASSBACK: "Already inside",
}

_CREDENTIAL_NAME: dict[ArrivalKind, str] = {
    ArrivalKind.CARD: "Card",
    ArrivalKind.QR: "QR code",
    ArrivalKind.PIN: "PIN",
}


def display_text(reason: Reason, kind: ArrivalKind) -> str:
    """The short text a device shows for a refusal whose main reason is ``reason``."""
    text = _DISPLAY.get(reason, _DENIED)
    return text.format(credential=_CREDENTIAL_NAME.get(kind, "Pass"))


_ASK: dict[Factor, str] = {
    Factor.CARD: "present card",
    Factor.PIN: "enter PIN",
    Factor.FACE: "look at the camera",
    Factor.PLATE: "drive up to the camera",
}


def prompt_text(missing: Set[Factor], *, uncertain_face: bool) -> str:
    """What a device asks for after a ``second_factor`` outcome.

    An uncertain face is confirmed by a card or a PIN, so that is what is asked when the
    face is all that is missing.
    """
    asks = [_ASK[f] for f in Factor if f in missing and not (uncertain_face and f is Factor.FACE)]
    if not asks:
        asks = ["present card or PIN"]
    text = " and ".join(asks)
    return text[0].upper() + text[1:]
