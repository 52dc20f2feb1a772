"""RuleSetCache: each tenant's access rules as one :class:`~gatepost.domain.rule_sets.RuleSet`
of domain objects, built once per ``rules_version`` and process (``services.caches``).

The tenants row's ``rules_version`` is bumped in the same transaction as every change to
zones, access points, schedules, levels, holidays, credentials and persons' access
(``access_rules.rules_changed``), so a reader that has the version in hand, read in its
own unit of work, gets a rule set consistent with that transaction's view.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from gatepost.domain.access_points import AccessLevel, AccessPoint
from gatepost.domain.rule_sets import RuleSet
from gatepost.domain.schedules import SiteCalendar, WeeklySchedule
from gatepost.domain.zones import AntiPassback
from gatepost.services.caches import VersionedCache
from gatepost.services.uow import UnitOfWork
from gatepost.store.repositories.access_rules import StoredAccessPoint

__all__ = ["RuleSetCache", "domain_access_point"]


def domain_access_point(
    point: StoredAccessPoint, schedules: Mapping[str, WeeklySchedule]
) -> AccessPoint:
    """The decision core's access point for a stored one (its unlock schedule opened)."""
    reset = point.anti_passback_reset_minutes
    return AccessPoint(
        id=point.id,
        into_zone=point.into_zone_id,
        out_of_zone=point.out_of_zone_id,
        direction=point.direction,
        door_mode=point.door_mode,
        unlock_schedule=schedules.get(point.unlock_schedule_id or ""),
        required_factors=point.required_factors,
        multi_factor_window=timedelta(seconds=point.multi_factor_window_seconds),
        anti_passback=AntiPassback(
            point.anti_passback, timedelta(minutes=reset) if reset is not None else None
        ),
        first_person_in=point.first_person_in,
        barrier=point.barrier,
    )


class RuleSetCache:
    """tenant id -> its rule set at the version last seen (see the module doc)."""

    def __init__(self) -> None:
        self._cache: VersionedCache[RuleSet] = VersionedCache()

    def rules_in(self, uow: UnitOfWork, tenant_id: str) -> RuleSet:
        """The tenant's rule set at the version the caller's unit of work sees."""
        version = uow.access_rules.version(tenant_id=tenant_id)
        return self._cache.get(tenant_id, version, lambda: _built(uow, tenant_id, version))

    @property
    def builds(self) -> int:
        """How often this process built a tenant's rule set (the cache's misses)."""
        return self._cache.builds


def _built(uow: UnitOfWork, tenant_id: str, version: int) -> RuleSet:
    """Every rule of the tenant, in six queries whatever its size."""
    schedules = {s.id: s.schedule for s in uow.schedules.all(tenant_id=tenant_id)}
    zones = {z.id: z.zone for z in uow.access_rules.all_zones(tenant_id=tenant_id)}
    points: dict[str, AccessPoint] = {}
    point_sites: dict[str, str] = {}
    for stored in uow.access_rules.all_access_points(tenant_id=tenant_id):
        points[stored.id] = domain_access_point(stored, schedules)
        point_sites[stored.id] = stored.site_id
    levels = {
        level.id: AccessLevel(level.id, level.access_point_ids, schedules[level.schedule_id])
        for level in uow.access_levels.all(tenant_id=tenant_id)
    }
    holidays: dict[str, set[date]] = {}
    for holiday in uow.schedules.holidays(tenant_id=tenant_id):
        holidays.setdefault(holiday.site_id, set()).add(holiday.date)
    calendars = {
        site_id: SiteCalendar(ZoneInfo(time_zone), frozenset(holidays.get(site_id, ())))
        for site_id, time_zone in uow.access_rules.site_time_zones(tenant_id=tenant_id).items()
    }
    return RuleSet(
        tenant_id=tenant_id,
        version=version,
        zones=MappingProxyType(zones),
        access_points=MappingProxyType(points),
        point_sites=MappingProxyType(point_sites),
        levels=MappingProxyType(levels),
        schedules=MappingProxyType(schedules),
        calendars=MappingProxyType(calendars),
    )
