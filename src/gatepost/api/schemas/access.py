"""Access-rule schemas: zones, access points, schedules, holidays, access levels, the
levels and access flags of persons, and credentials (never their values)."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AwareDatetime, Field

from gatepost.api.schemas.base import Input, Output
from gatepost.domain.access_points import DoorMode, PersonFacts, RequiredFactors
from gatepost.domain.credentials import CredentialKind
from gatepost.domain.devices import Direction
from gatepost.domain.persons import PersonStatus
from gatepost.domain.rule_sets import LevelAssignment
from gatepost.domain.schedules import Weekday
from gatepost.domain.zones import AntiPassbackMode

if TYPE_CHECKING:  # the records the services return (types only: routes never touch the store)
    from gatepost.store.repositories.access_levels import StoredAccessLevel
    from gatepost.store.repositories.schedules import StoredSchedule

__all__ = [
    "AccessLevelCreate",
    "AccessLevelPublic",
    "AccessLevelUpdate",
    "AccessPointCreate",
    "AccessPointPublic",
    "AccessPointUpdate",
    "CredentialCreate",
    "CredentialIssued",
    "CredentialPublic",
    "DeviceAccessPointUpdate",
    "HolidayCreate",
    "HolidayPublic",
    "LevelGrant",
    "PersonAccessLevelPublic",
    "PersonAccessPublic",
    "PersonAccessUpdate",
    "ScheduleCreate",
    "SchedulePublic",
    "ScheduleUpdate",
    "WeekIntervals",
    "ZoneCreate",
    "ZonePublic",
    "ZoneUpdate",
]

_ID = r"^[0-9a-f]{32}$"
Id = Annotated[str, Field(pattern=_ID)]
Name = Annotated[str, Field(min_length=1, max_length=120)]
IntervalText = Annotated[
    str, Field(max_length=16, description="Local clock time HH:MM-HH:MM (24:00 may end).")
]
Intervals = Annotated[list[IntervalText], Field(default_factory=list, max_length=12)]


def _optional_id(description: str = "") -> Any:
    return Field(default=None, pattern=_ID, description=description or None)


# -- zones ---------------------------------------------------------------------------------


class ZoneCreate(Input):
    site_id: Id
    name: Name
    parent_id: str | None = _optional_id("The zone it lies inside (same site).")


class ZoneUpdate(Input):
    name: Name | None = None
    parent_id: str | None = _optional_id("null: a top zone.")


class ZonePublic(Output):
    id: str
    site_id: str
    name: str
    parent_id: str | None
    created_at: datetime
    updated_at: datetime


# -- access points --------------------------------------------------------------------------

WindowSeconds = Annotated[int, Field(ge=1, le=300, description="Seconds a first factor waits.")]
ResetMinutes = Annotated[
    int, Field(ge=1, le=7 * 24 * 60, description="Anti-passback presence expiry in minutes.")
]


class AccessPointCreate(Input):
    site_id: Id
    name: Name
    into_zone_id: str | None = _optional_id("The zone it leads into (null: outside).")
    out_of_zone_id: str | None = _optional_id("The zone it leads out of (null: outside).")
    direction: Direction = Direction.IN
    door_mode: DoorMode = DoorMode.NORMALLY_LOCKED
    unlock_schedule_id: str | None = _optional_id("Open hours of a scheduled unlock.")
    required_factors: RequiredFactors = RequiredFactors.ANY
    multi_factor_window_seconds: WindowSeconds = 10
    anti_passback: AntiPassbackMode = AntiPassbackMode.NONE
    anti_passback_reset_minutes: ResetMinutes | None = None
    first_person_in: bool = False
    barrier: bool = False


class AccessPointUpdate(Input):
    name: Name | None = None
    into_zone_id: str | None = _optional_id()
    out_of_zone_id: str | None = _optional_id()
    direction: Direction | None = None
    door_mode: DoorMode | None = None
    unlock_schedule_id: str | None = _optional_id()
    required_factors: RequiredFactors | None = None
    multi_factor_window_seconds: WindowSeconds | None = None
    anti_passback: AntiPassbackMode | None = None
    anti_passback_reset_minutes: ResetMinutes | None = None
    first_person_in: bool | None = None
    barrier: bool | None = None


class AccessPointPublic(Output):
    id: str
    site_id: str
    name: str
    into_zone_id: str | None
    out_of_zone_id: str | None
    direction: Direction
    door_mode: DoorMode
    unlock_schedule_id: str | None
    required_factors: RequiredFactors
    multi_factor_window_seconds: int
    anti_passback: AntiPassbackMode
    anti_passback_reset_minutes: int | None
    first_person_in: bool
    barrier: bool
    created_at: datetime
    updated_at: datetime


class DeviceAccessPointUpdate(Input):
    access_point_id: str | None = _optional_id("An access point of the device's site; null: none.")


# -- schedules and holidays -----------------------------------------------------------------


class WeekIntervals(Input):
    """Intervals per weekday; a day left out (or empty) is closed."""

    mon: Intervals
    tue: Intervals
    wed: Intervals
    thu: Intervals
    fri: Intervals
    sat: Intervals
    sun: Intervals

    def by_day(self) -> dict[str, list[str]]:
        return {day.value: list(getattr(self, day.value)) for day in Weekday}


class ScheduleCreate(Input):
    name: Name
    intervals: WeekIntervals = Field(default_factory=lambda: WeekIntervals.model_validate({}))
    holiday_intervals: Intervals = Field(description="Used instead on a site holiday.")


class ScheduleUpdate(Input):
    name: Name | None = None
    intervals: WeekIntervals | None = Field(default=None, description="Replaces the week.")
    holiday_intervals: list[IntervalText] | None = Field(default=None, max_length=12)


class SchedulePublic(Output):
    id: str
    name: str
    intervals: WeekIntervals
    holiday_intervals: list[str]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, stored: StoredSchedule) -> SchedulePublic:
        schedule = stored.schedule
        week = {d.value: [str(i) for i in schedule.intervals_on(d)] for d in Weekday}
        return cls(
            id=schedule.id,
            name=schedule.name,
            intervals=WeekIntervals.model_validate(week),
            holiday_intervals=[str(i) for i in schedule.holiday],
            created_at=stored.created_at,
            updated_at=stored.updated_at,
        )


class HolidayCreate(Input):
    date: dt.date = Field(description="The site's local date.")
    name: Name


class HolidayPublic(Output):
    id: str
    site_id: str
    date: dt.date
    name: str
    created_at: datetime


# -- access levels and who holds them -------------------------------------------------------


class AccessLevelCreate(Input):
    name: Name
    schedule_id: Id
    access_point_ids: list[Id] = Field(default_factory=list, max_length=1000)


class AccessLevelUpdate(Input):
    name: Name | None = None
    schedule_id: str | None = _optional_id()
    access_point_ids: list[Id] | None = Field(
        default=None, max_length=1000, description="Replaces the level's access points."
    )


class AccessLevelPublic(Output):
    id: str
    name: str
    schedule_id: str
    access_point_ids: list[str]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, level: StoredAccessLevel) -> AccessLevelPublic:
        return cls(
            id=level.id,
            name=level.name,
            schedule_id=level.schedule_id,
            access_point_ids=sorted(level.access_point_ids),
            created_at=level.created_at,
            updated_at=level.updated_at,
        )


class LevelGrant(Input):
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None


class PersonAccessLevelPublic(Output):
    person_id: str
    access_level_id: str
    valid_from: datetime | None
    valid_until: datetime | None
    created_at: datetime | None

    @classmethod
    def of(cls, held: LevelAssignment) -> PersonAccessLevelPublic:
        return cls(
            person_id=held.person_id,
            access_level_id=held.access_level_id,
            valid_from=held.validity.valid_from,
            valid_until=held.validity.valid_until,
            created_at=held.created_at,
        )


class PersonAccessUpdate(Input):
    blocked: bool | None = Field(default=None, description="Denied everywhere, with an alert.")
    watchlisted: bool | None = Field(default=None, description="Decided as usual, with an alert.")
    first_in_privileged: bool | None = Field(
        default=None, description="May open a zone that waits for its first person."
    )
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None


class PersonAccessPublic(Output):
    person_id: str
    status: PersonStatus
    blocked: bool
    watchlisted: bool
    first_in_privileged: bool
    valid_from: datetime | None
    valid_until: datetime | None

    @classmethod
    def of(cls, facts: PersonFacts) -> PersonAccessPublic:
        return cls(
            person_id=facts.id,
            status=facts.status,
            blocked=facts.blocked,
            watchlisted=facts.watchlisted,
            first_in_privileged=facts.first_in_privileged,
            valid_from=facts.validity.valid_from,
            valid_until=facts.validity.valid_until,
        )


# -- credentials ----------------------------------------------------------------------------


class CredentialCreate(Input):
    kind: CredentialKind
    value: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Card number (spaces and dashes ignored) or PIN (4-12 digits); "
        "omit for a QR code, which the server generates.",
    )
    duress: bool = Field(default=False, description="A duress PIN (PINs only).")
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None


class CredentialPublic(Output):
    id: str
    person_id: str
    kind: CredentialKind
    label: str | None = Field(description="A card's last 4 characters; null otherwise.")
    duress: bool
    valid_from: datetime | None
    valid_until: datetime | None
    revoked_at: datetime | None
    created_at: datetime


class CredentialIssued(CredentialPublic):
    qr_text: str | None = Field(
        description="For a QR code: the text to encode, shown this once; null otherwise."
    )
