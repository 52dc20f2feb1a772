"""Access points, door modes, multi-factor requirements, access levels and the person
facts that access decisions read.

An *access point* is one controlled passage: a door, a turnstile lane or a barrier, in
one direction. It leads out of one zone into another (``None`` is outside the site).

Door modes, as an operator of ZKBio or HikCentral knows them:

- ``normally_locked`` (ZKBio "normal", HikCentral "access control"): every arrival is
  decided by the rules.
- ``scheduled_unlock``: free passage (the door held open) while ``unlock_schedule`` is
  open in the site's local time, rules otherwise. If the point requires first-person-in,
  the scheduled unlock takes effect only once a first-in person is present (ZKBio's
  "first-person normally open").
- ``locked`` (HikCentral "remain closed"): an operator holds this door shut; entries are
  denied with ``door_locked`` after the person's own checks, so the event still says
  who tried. Exit buttons still release it.
- ``released`` (HikCentral "remain open"): free passage until an operator changes it.
- ``lockdown``: the emergency state; every arrival except an exit button is denied before
  any other rule. Exit buttons always release the door: egress is a life-safety rule.

Multi-factor requirements name the factors a grant needs; ``any`` is satisfied by one
factor of any kind (a plate only ever satisfies ``any``). Factors may come in one
arrival (a terminal reading card and face together) or in two steps within
``multi_factor_window`` (card now, face a few seconds later).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from gatepost.domain.arrivals import Factor
from gatepost.domain.devices import Direction
from gatepost.domain.persons import PersonStatus
from gatepost.domain.schedules import WeeklySchedule
from gatepost.domain.validity import ValidityWindow
from gatepost.domain.zones import AntiPassback
from gatepost.errors import ValidationFailed

__all__ = [
    "AccessLevel",
    "AccessPoint",
    "DEFAULT_MULTI_FACTOR_WINDOW",
    "DoorMode",
    "PersonFacts",
    "RequiredFactors",
]

DEFAULT_MULTI_FACTOR_WINDOW = timedelta(seconds=10)
"""How long a first factor waits for the second: a person needs a few seconds to step
from the card reader into the camera's view (a judgement, not a measurement)."""


class DoorMode(StrEnum):
    NORMALLY_LOCKED = "normally_locked"
    SCHEDULED_UNLOCK = "scheduled_unlock"
    LOCKED = "locked"
    RELEASED = "released"
    LOCKDOWN = "lockdown"


class RequiredFactors(StrEnum):
    ANY = "any"
    FACE_ONLY = "face_only"
    CARD_ONLY = "card_only"
    FACE_AND_CARD = "face_and_card"
    FACE_AND_PIN = "face_and_pin"
    CARD_AND_PIN = "card_and_pin"

    @property
    def factors(self) -> frozenset[Factor]:
        """The factors a grant needs (empty for ``any``: one factor of any kind)."""
        return _NEEDED[self]


_NEEDED: dict[RequiredFactors, frozenset[Factor]] = {
    RequiredFactors.ANY: frozenset(),
    RequiredFactors.FACE_ONLY: frozenset({Factor.FACE}),
    RequiredFactors.CARD_ONLY: frozenset({Factor.CARD}),
    RequiredFactors.FACE_AND_CARD: frozenset({Factor.FACE, Factor.CARD}),
    RequiredFactors.FACE_AND_PIN: frozenset({Factor.FACE, Factor.PIN}),
    RequiredFactors.CARD_AND_PIN: frozenset({Factor.CARD, Factor.PIN}),
}


@dataclass(frozen=True)
class AccessPoint:
    """One controlled passage and its rules (see the module docstring).

    ``anti_passback`` is the rule of the zone the point leads into; ``first_person_in``
    says that zone waits for a first-in privileged person; ``barrier`` makes grants
    raise a barrier instead of opening a door.
    """

    id: str
    into_zone: str | None
    out_of_zone: str | None = None
    direction: Direction = Direction.IN
    door_mode: DoorMode = DoorMode.NORMALLY_LOCKED
    unlock_schedule: WeeklySchedule | None = None
    required_factors: RequiredFactors = RequiredFactors.ANY
    multi_factor_window: timedelta = DEFAULT_MULTI_FACTOR_WINDOW
    anti_passback: AntiPassback = field(default_factory=AntiPassback)
    first_person_in: bool = False
    barrier: bool = False

    def __post_init__(self) -> None:
        if self.door_mode is DoorMode.SCHEDULED_UNLOCK and self.unlock_schedule is None:
            raise ValidationFailed("a scheduled unlock needs a schedule", field="unlock_schedule")
        if self.multi_factor_window <= timedelta(0):
            raise ValidationFailed(
                "the multi-factor window must be positive", field="multi_factor_window"
            )
        if self.into_zone is not None and self.into_zone == self.out_of_zone:
            raise ValidationFailed(
                "an access point must lead into another zone than it leads out of",
                field="into_zone",
            )


@dataclass(frozen=True)
class AccessLevel:
    """Which access points a person may pass, and when (ZKBio's "access level")."""

    id: str
    access_point_ids: frozenset[str]
    schedule: WeeklySchedule


@dataclass(frozen=True)
class PersonFacts:
    """What access rules need to know of a person (no name, no identity number).

    ``blocked`` persons are denied everywhere with an alert; ``watchlisted`` ones follow
    the normal rules and raise an alert; ``first_in_privileged`` ones may open a zone
    that waits for its first person in.
    """

    id: str
    status: PersonStatus = PersonStatus.ACTIVE
    validity: ValidityWindow = ValidityWindow()
    blocked: bool = False
    watchlisted: bool = False
    first_in_privileged: bool = False
