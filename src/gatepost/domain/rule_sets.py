"""A tenant's access rules as one read-only value, and a person's share of them.

:class:`RuleSet` holds every zone, access point, access level, schedule and site calendar
of a tenant at one ``rules_version``; a process builds it once per version and shares
it between threads (it is immutable). :class:`LevelAssignment` is an access level held by
a person within a validity window; :class:`PersonAccess` is what the access decision
needs of one person (:class:`~gatepost.domain.access_points.PersonFacts` and the levels
they hold at the arrival's instant).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from gatepost.domain.access_points import AccessLevel, AccessPoint, PersonFacts
from gatepost.domain.schedules import SiteCalendar, WeeklySchedule
from gatepost.domain.validity import ValidityWindow
from gatepost.domain.zones import Zone

__all__ = ["LevelAssignment", "PersonAccess", "RuleSet"]


@dataclass(frozen=True)
class LevelAssignment:
    """An access level held by a person, within ``validity`` (open ends: unbounded)."""

    person_id: str
    access_level_id: str
    validity: ValidityWindow = ValidityWindow()
    created_at: datetime | None = None


@dataclass(frozen=True)
class PersonAccess:
    """A person's facts and the access levels they hold at one instant."""

    facts: PersonFacts
    levels: tuple[AccessLevel, ...]


@dataclass(frozen=True)
class RuleSet:
    """Every access rule of a tenant at ``version`` (mappings are read-only).

    ``point_sites`` gives each access point's site; ``calendars`` each site's time zone
    and holidays.
    """

    tenant_id: str
    version: int
    zones: Mapping[str, Zone]
    access_points: Mapping[str, AccessPoint]
    point_sites: Mapping[str, str]
    levels: Mapping[str, AccessLevel]
    schedules: Mapping[str, WeeklySchedule]
    calendars: Mapping[str, SiteCalendar]

    def access_point(self, access_point_id: str) -> AccessPoint | None:
        return self.access_points.get(access_point_id)

    def calendar(self, site_id: str) -> SiteCalendar | None:
        """The site's calendar (None for a site this rule set does not know)."""
        return self.calendars.get(site_id)

    def calendar_of(self, access_point_id: str) -> SiteCalendar | None:
        """The calendar of the access point's site."""
        site_id = self.point_sites.get(access_point_id)
        return self.calendars.get(site_id) if site_id is not None else None

    def levels_held(
        self, assignments: Iterable[LevelAssignment], at: datetime
    ) -> tuple[AccessLevel, ...]:
        """The levels of ``assignments`` valid at the aware instant ``at``, by level id."""
        held = {
            a.access_level_id
            for a in assignments
            if a.validity.contains(at) and a.access_level_id in self.levels
        }
        return tuple(self.levels[level_id] for level_id in sorted(held))

    def person_access(
        self, facts: PersonFacts, assignments: Iterable[LevelAssignment], at: datetime
    ) -> PersonAccess:
        return PersonAccess(facts, self.levels_held(assignments, at))
