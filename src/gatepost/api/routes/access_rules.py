"""Access rules: zones, access points (and the devices bound to them), weekly schedules,
site holidays and access levels. Changing any of them moves the tenant's rules version."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.api.routes.common import CursorQuery, IdPath, LimitQuery
from gatepost.api.schemas.access import (
    AccessLevelCreate,
    AccessLevelPublic,
    AccessLevelUpdate,
    AccessPointCreate,
    AccessPointPublic,
    AccessPointUpdate,
    DeviceAccessPointUpdate,
    HolidayCreate,
    HolidayPublic,
    ScheduleCreate,
    SchedulePublic,
    ScheduleUpdate,
    ZoneCreate,
    ZonePublic,
    ZoneUpdate,
)
from gatepost.api.schemas.base import ERROR_RESPONSES, PagePublic
from gatepost.api.schemas.resources import DevicePublic
from gatepost.security.permissions import Permission
from gatepost.services.access_levels import AccessLevelDraft
from gatepost.services.access_rules import AccessPointDraft, ZoneDraft
from gatepost.services.schedules import ScheduleDraft

__all__ = ["changes_of", "router"]

router = APIRouter(
    route_class=GuardedRoute, prefix="/api/v1", tags=["access rules"], responses=ERROR_RESPONSES
)

OptionalId = Annotated[str | None, Query(pattern=r"^[0-9a-f]{32}$")]


def changes_of(body: BaseModel, *, nullable: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The fields a PATCH body set; null means "unchanged" except for ``nullable`` ones
    (where it clears the value)."""
    return {
        name: value
        for name, value in body.model_dump(exclude_unset=True).items()
        if value is not None or name in nullable
    }


# -- zones ---------------------------------------------------------------------------------


@router.get("/zones", dependencies=[require(Permission.ACCESS_RULES_READ)])
def list_zones(
    principal: CurrentPrincipal,
    container: ContainerDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    site_id: OptionalId = None,
) -> PagePublic[ZonePublic]:
    page = container.access_rules.list_zones(principal, limit=limit, after=cursor, site_id=site_id)
    return PagePublic.of(page, ZonePublic)


@router.post("/zones", status_code=201, dependencies=[require(Permission.ACCESS_RULES_WRITE)])
def create_zone(
    body: ZoneCreate, principal: CurrentPrincipal, container: ContainerDep
) -> ZonePublic:
    zone = container.access_rules.create_zone(principal, ZoneDraft(**body.model_dump()))
    return ZonePublic.model_validate(zone)


@router.get("/zones/{zone_id}", dependencies=[require(Permission.ACCESS_RULES_READ)])
def get_zone(zone_id: IdPath, principal: CurrentPrincipal, container: ContainerDep) -> ZonePublic:
    return ZonePublic.model_validate(container.access_rules.get_zone(principal, zone_id))


@router.patch("/zones/{zone_id}", dependencies=[require(Permission.ACCESS_RULES_WRITE)])
def update_zone(
    zone_id: IdPath, body: ZoneUpdate, principal: CurrentPrincipal, container: ContainerDep
) -> ZonePublic:
    changes = changes_of(body, nullable=frozenset({"parent_id"}))
    return ZonePublic.model_validate(
        container.access_rules.update_zone(principal, zone_id, changes)
    )


@router.delete(
    "/zones/{zone_id}", status_code=204, dependencies=[require(Permission.ACCESS_RULES_WRITE)]
)
def delete_zone(zone_id: IdPath, principal: CurrentPrincipal, container: ContainerDep) -> None:
    """Refused (409) while zones lie inside it or access points lead into or out of it."""
    container.access_rules.delete_zone(principal, zone_id)


# -- access points ------------------------------------------------------------------------

_POINT_NULLABLE = frozenset(
    {"into_zone_id", "out_of_zone_id", "unlock_schedule_id", "anti_passback_reset_minutes"}
)


@router.get("/access-points", dependencies=[require(Permission.ACCESS_RULES_READ)])
def list_access_points(
    principal: CurrentPrincipal,
    container: ContainerDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    site_id: OptionalId = None,
    zone_id: OptionalId = None,
) -> PagePublic[AccessPointPublic]:
    """``zone_id``: the points that lead into or out of that zone."""
    page = container.access_rules.list_access_points(
        principal, limit=limit, after=cursor, site_id=site_id, zone_id=zone_id
    )
    return PagePublic.of(page, AccessPointPublic)


@router.post(
    "/access-points", status_code=201, dependencies=[require(Permission.ACCESS_RULES_WRITE)]
)
def create_access_point(
    body: AccessPointCreate, principal: CurrentPrincipal, container: ContainerDep
) -> AccessPointPublic:
    point = container.access_rules.create_access_point(
        principal, AccessPointDraft(**body.model_dump())
    )
    return AccessPointPublic.model_validate(point)


@router.get(
    "/access-points/{access_point_id}", dependencies=[require(Permission.ACCESS_RULES_READ)]
)
def get_access_point(
    access_point_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> AccessPointPublic:
    point = container.access_rules.get_access_point(principal, access_point_id)
    return AccessPointPublic.model_validate(point)


@router.patch(
    "/access-points/{access_point_id}", dependencies=[require(Permission.ACCESS_RULES_WRITE)]
)
def update_access_point(
    access_point_id: IdPath,
    body: AccessPointUpdate,
    principal: CurrentPrincipal,
    container: ContainerDep,
) -> AccessPointPublic:
    changes = changes_of(body, nullable=_POINT_NULLABLE)
    point = container.access_rules.update_access_point(principal, access_point_id, changes)
    return AccessPointPublic.model_validate(point)


@router.delete(
    "/access-points/{access_point_id}",
    status_code=204,
    dependencies=[require(Permission.ACCESS_RULES_WRITE)],
)
def delete_access_point(
    access_point_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> None:
    """The point leaves every access level; refused (409) while a device is bound to it."""
    container.access_rules.delete_access_point(principal, access_point_id)


@router.put(
    "/devices/{device_id}/access-point", dependencies=[require(Permission.ACCESS_RULES_WRITE)]
)
def bind_device(
    device_id: IdPath,
    body: DeviceAccessPointUpdate,
    principal: CurrentPrincipal,
    container: ContainerDep,
) -> DevicePublic:
    """Bind the device to an access point of its site (null: unbind it)."""
    device = container.access_rules.bind_device(principal, device_id, body.access_point_id)
    return DevicePublic.model_validate(device)


# -- schedules and holidays ------------------------------------------------------------------


@router.get("/schedules", dependencies=[require(Permission.ACCESS_RULES_READ)])
def list_schedules(
    principal: CurrentPrincipal,
    container: ContainerDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> PagePublic[SchedulePublic]:
    page = container.schedules.list(principal, limit=limit, after=cursor)
    items = [SchedulePublic.of(stored) for stored in page.items]
    return PagePublic(items=items, next_cursor=page.next_cursor, limit=page.limit)


@router.post("/schedules", status_code=201, dependencies=[require(Permission.ACCESS_RULES_WRITE)])
def create_schedule(
    body: ScheduleCreate, principal: CurrentPrincipal, container: ContainerDep
) -> SchedulePublic:
    """Intervals are local clock times at the site, half-open, never across midnight;
    overlapping or inverted ones are refused naming the field (``intervals.mon.1``)."""
    draft = ScheduleDraft(
        name=body.name,
        intervals=body.intervals.by_day(),
        holiday_intervals=body.holiday_intervals,
    )
    return SchedulePublic.of(container.schedules.create(principal, draft))


@router.get("/schedules/{schedule_id}", dependencies=[require(Permission.ACCESS_RULES_READ)])
def get_schedule(
    schedule_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> SchedulePublic:
    return SchedulePublic.of(container.schedules.get(principal, schedule_id))


@router.patch("/schedules/{schedule_id}", dependencies=[require(Permission.ACCESS_RULES_WRITE)])
def update_schedule(
    schedule_id: IdPath, body: ScheduleUpdate, principal: CurrentPrincipal, container: ContainerDep
) -> SchedulePublic:
    stored = container.schedules.update(
        principal,
        schedule_id,
        name=body.name,
        intervals=body.intervals.by_day() if body.intervals is not None else None,
        holiday_intervals=body.holiday_intervals,
    )
    return SchedulePublic.of(stored)


@router.delete(
    "/schedules/{schedule_id}",
    status_code=204,
    dependencies=[require(Permission.ACCESS_RULES_WRITE)],
)
def delete_schedule(
    schedule_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> None:
    """Refused (409) while an access level or a scheduled unlock uses it."""
    container.schedules.delete(principal, schedule_id)


@router.get("/sites/{site_id}/holidays", dependencies=[require(Permission.ACCESS_RULES_READ)])
def list_holidays(
    site_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> list[HolidayPublic]:
    return [
        HolidayPublic.model_validate(h) for h in container.schedules.holidays(principal, site_id)
    ]


@router.post(
    "/sites/{site_id}/holidays",
    status_code=201,
    dependencies=[require(Permission.ACCESS_RULES_WRITE)],
)
def add_holiday(
    site_id: IdPath, body: HolidayCreate, principal: CurrentPrincipal, container: ContainerDep
) -> HolidayPublic:
    """On a holiday, schedules use their holiday intervals instead of the weekday's."""
    holiday = container.schedules.add_holiday(principal, site_id, day=body.date, name=body.name)
    return HolidayPublic.model_validate(holiday)


@router.delete(
    "/sites/{site_id}/holidays/{holiday_id}",
    status_code=204,
    dependencies=[require(Permission.ACCESS_RULES_WRITE)],
)
def delete_holiday(
    site_id: IdPath, holiday_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> None:
    container.schedules.delete_holiday(principal, site_id, holiday_id)


# -- access levels -----------------------------------------------------------------------


@router.get("/access-levels", dependencies=[require(Permission.ACCESS_RULES_READ)])
def list_access_levels(
    principal: CurrentPrincipal,
    container: ContainerDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    access_point_id: OptionalId = None,
) -> PagePublic[AccessLevelPublic]:
    """``access_point_id``: the levels that open that access point."""
    page = container.access_levels.list(
        principal, limit=limit, after=cursor, access_point_id=access_point_id
    )
    items = [AccessLevelPublic.of(level) for level in page.items]
    return PagePublic(items=items, next_cursor=page.next_cursor, limit=page.limit)


@router.post(
    "/access-levels", status_code=201, dependencies=[require(Permission.ACCESS_RULES_WRITE)]
)
def create_access_level(
    body: AccessLevelCreate, principal: CurrentPrincipal, container: ContainerDep
) -> AccessLevelPublic:
    draft = AccessLevelDraft(
        name=body.name, schedule_id=body.schedule_id, access_point_ids=body.access_point_ids
    )
    return AccessLevelPublic.of(container.access_levels.create(principal, draft))


@router.get(
    "/access-levels/{access_level_id}", dependencies=[require(Permission.ACCESS_RULES_READ)]
)
def get_access_level(
    access_level_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> AccessLevelPublic:
    return AccessLevelPublic.of(container.access_levels.get(principal, access_level_id))


@router.patch(
    "/access-levels/{access_level_id}", dependencies=[require(Permission.ACCESS_RULES_WRITE)]
)
def update_access_level(
    access_level_id: IdPath,
    body: AccessLevelUpdate,
    principal: CurrentPrincipal,
    container: ContainerDep,
) -> AccessLevelPublic:
    level = container.access_levels.update(principal, access_level_id, changes_of(body))
    return AccessLevelPublic.of(level)


@router.delete(
    "/access-levels/{access_level_id}",
    status_code=204,
    dependencies=[require(Permission.ACCESS_RULES_WRITE)],
)
def delete_access_level(
    access_level_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> None:
    """The persons who held the level no longer do."""
    container.access_levels.delete(principal, access_level_id)
