"""Zones, access points, devices' access points and the tenant's rules version.

Rows in, frozen ``Stored*`` records out, with enums rather than strings. Every method
takes the tenant as the keyword-only ``tenant_id`` and filters by it in SQL. Schedules
and holidays are in :mod:`.schedules`, access levels and who holds them in
:mod:`.access_levels`, credentials in :mod:`.credentials`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from gatepost.domain.access_points import DoorMode, RequiredFactors
from gatepost.domain.devices import Direction
from gatepost.domain.zones import AntiPassbackMode, Zone
from gatepost.store.repositories._rows import keyset_page, upsert
from gatepost.store.tables import (
    AccessLevelPoint,
    AccessPoint,
    Device,
    PresenceRow,
    Site,
    Tenant,
)
from gatepost.store.tables import Zone as ZoneRow

__all__ = ["AccessRuleRepository", "StoredAccessPoint", "StoredZone"]


# Pre-built statements of the arrival pipeline's hot path (bound per call): built once,
# their SQL compiled and cached once, instead of on every arrival (docs/access.md).
_RULES_VERSION = select(Tenant.rules_version).where(Tenant.id == bindparam("tenant_id"))


@dataclass(frozen=True)
class StoredZone:
    tenant_id: str
    id: str
    site_id: str
    name: str
    parent_id: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def zone(self) -> Zone:
        return Zone(id=self.id, parent_id=self.parent_id, name=self.name)


@dataclass(frozen=True)
class StoredAccessPoint:
    tenant_id: str
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


def _zone(row: ZoneRow) -> StoredZone:
    return StoredZone(
        tenant_id=row.tenant_id,
        id=row.id,
        site_id=row.site_id,
        name=row.name,
        parent_id=row.parent_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _point(row: AccessPoint) -> StoredAccessPoint:
    return StoredAccessPoint(
        tenant_id=row.tenant_id,
        id=row.id,
        site_id=row.site_id,
        name=row.name,
        into_zone_id=row.into_zone_id,
        out_of_zone_id=row.out_of_zone_id,
        direction=Direction(row.direction),
        door_mode=DoorMode(row.door_mode),
        unlock_schedule_id=row.unlock_schedule_id,
        required_factors=RequiredFactors(row.required_factors),
        multi_factor_window_seconds=row.multi_factor_window_seconds,
        anti_passback=AntiPassbackMode(row.anti_passback),
        anti_passback_reset_minutes=row.anti_passback_reset_minutes,
        first_person_in=row.first_person_in,
        barrier=row.barrier,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class AccessRuleRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    # -- zones --------------------------------------------------------------------------

    def save_zone(self, zone: StoredZone) -> None:
        """Insert the zone, or replace every column of the one with its id."""
        values = {
            "tenant_id": zone.tenant_id,
            "id": zone.id,
            "site_id": zone.site_id,
            "name": zone.name,
            "parent_id": zone.parent_id,
            "created_at": zone.created_at,
            "updated_at": zone.updated_at,
        }
        upsert(self._session, ZoneRow, values)

    def get_zone(self, *, tenant_id: str, zone_id: str) -> StoredZone | None:
        row = self._session.get(ZoneRow, (tenant_id, zone_id))
        return _zone(row) if row is not None else None

    def zone_by_name(self, *, tenant_id: str, site_id: str, name: str) -> StoredZone | None:
        query = select(ZoneRow).where(
            ZoneRow.tenant_id == tenant_id, ZoneRow.site_id == site_id, ZoneRow.name == name
        )
        row = self._session.scalars(query).one_or_none()
        return _zone(row) if row is not None else None

    def zones(
        self, *, tenant_id: str, limit: int, after: str | None = None, site_id: str | None = None
    ) -> list[StoredZone]:
        query = select(ZoneRow).where(ZoneRow.tenant_id == tenant_id)
        if site_id:
            query = query.where(ZoneRow.site_id == site_id)
        page = keyset_page(query, ZoneRow.id, limit=limit, after=after)
        return [_zone(row) for row in self._session.scalars(page)]

    def all_zones(self, *, tenant_id: str, site_id: str | None = None) -> list[StoredZone]:
        query = select(ZoneRow).where(ZoneRow.tenant_id == tenant_id).order_by(ZoneRow.id)
        if site_id:
            query = query.where(ZoneRow.site_id == site_id)
        return [_zone(row) for row in self._session.scalars(query)]

    def zone_in_use(self, *, tenant_id: str, zone_id: str) -> bool:
        """Whether a zone lies inside it, an access point leads into or out of it, or
        someone is placed in it (the muster list)."""
        child = select(ZoneRow.id).where(
            ZoneRow.tenant_id == tenant_id, ZoneRow.parent_id == zone_id
        )
        point = select(AccessPoint.id).where(
            AccessPoint.tenant_id == tenant_id,
            or_(AccessPoint.into_zone_id == zone_id, AccessPoint.out_of_zone_id == zone_id),
        )
        present = select(PresenceRow.person_id).where(
            PresenceRow.tenant_id == tenant_id, PresenceRow.zone_id == zone_id
        )
        return any(
            self._session.scalars(query.limit(1)).first() is not None
            for query in (child, point, present)
        )

    def delete_zone(self, *, tenant_id: str, zone_id: str) -> None:
        self._session.execute(
            delete(ZoneRow).where(ZoneRow.tenant_id == tenant_id, ZoneRow.id == zone_id)
        )

    # -- access points ------------------------------------------------------------------

    def save_access_point(self, point: StoredAccessPoint) -> None:
        """Insert the access point, or replace every column of the one with its id.

        The mode a remote lockdown replaced (``mode_before_lockdown``) survives only an
        edit that leaves the point in that lockdown; any other write of the door mode
        forgets it, so a release never restores a mode from before a later edit."""
        stored = self._session.get(AccessPoint, (point.tenant_id, point.id))
        lockdown = DoorMode.LOCKDOWN.value
        stays_locked_down = (
            stored is not None and stored.door_mode == lockdown == point.door_mode.value
        )
        values = {
            "tenant_id": point.tenant_id,
            "id": point.id,
            "site_id": point.site_id,
            "name": point.name,
            "into_zone_id": point.into_zone_id,
            "out_of_zone_id": point.out_of_zone_id,
            "direction": point.direction.value,
            "door_mode": point.door_mode.value,
            "unlock_schedule_id": point.unlock_schedule_id,
            "required_factors": point.required_factors.value,
            "multi_factor_window_seconds": point.multi_factor_window_seconds,
            "anti_passback": point.anti_passback.value,
            "anti_passback_reset_minutes": point.anti_passback_reset_minutes,
            "first_person_in": point.first_person_in,
            "barrier": point.barrier,
            "created_at": point.created_at,
            "updated_at": point.updated_at,
        }
        if not stays_locked_down:
            values["mode_before_lockdown"] = None
        upsert(self._session, AccessPoint, values)

    def get_access_point(self, *, tenant_id: str, access_point_id: str) -> StoredAccessPoint | None:
        row = self._session.get(AccessPoint, (tenant_id, access_point_id))
        return _point(row) if row is not None else None

    def access_point_by_name(
        self, *, tenant_id: str, site_id: str, name: str
    ) -> StoredAccessPoint | None:
        query = select(AccessPoint).where(
            AccessPoint.tenant_id == tenant_id,
            AccessPoint.site_id == site_id,
            AccessPoint.name == name,
        )
        row = self._session.scalars(query).one_or_none()
        return _point(row) if row is not None else None

    def access_points(
        self,
        *,
        tenant_id: str,
        limit: int,
        after: str | None = None,
        site_id: str | None = None,
        zone_id: str | None = None,
    ) -> list[StoredAccessPoint]:
        query = select(AccessPoint).where(AccessPoint.tenant_id == tenant_id)
        if site_id:
            query = query.where(AccessPoint.site_id == site_id)
        if zone_id:
            query = query.where(
                or_(AccessPoint.into_zone_id == zone_id, AccessPoint.out_of_zone_id == zone_id)
            )
        page = keyset_page(query, AccessPoint.id, limit=limit, after=after)
        return [_point(row) for row in self._session.scalars(page)]

    def all_access_points(self, *, tenant_id: str) -> list[StoredAccessPoint]:
        query = select(AccessPoint).where(AccessPoint.tenant_id == tenant_id)
        return [_point(row) for row in self._session.scalars(query.order_by(AccessPoint.id))]

    def existing_access_point_ids(self, *, tenant_id: str, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        query = select(AccessPoint.id).where(
            AccessPoint.tenant_id == tenant_id, AccessPoint.id.in_(ids)
        )
        return set(self._session.scalars(query))

    def delete_access_point(self, *, tenant_id: str, access_point_id: str) -> None:
        """Delete the access point and take it out of every access level."""
        self._session.execute(
            delete(AccessLevelPoint).where(
                AccessLevelPoint.tenant_id == tenant_id,
                AccessLevelPoint.access_point_id == access_point_id,
            )
        )
        self._session.execute(
            delete(AccessPoint).where(
                AccessPoint.tenant_id == tenant_id, AccessPoint.id == access_point_id
            )
        )

    # -- devices' access points ---------------------------------------------------------

    def devices_bound_to(self, *, tenant_id: str, access_point_id: str) -> int:
        query = select(func.count()).where(
            Device.tenant_id == tenant_id, Device.access_point_id == access_point_id
        )
        return int(self._session.scalar(query) or 0)

    def bind_device(self, *, tenant_id: str, device_id: str, access_point_id: str | None) -> None:
        """Bind the device to the access point (None: unbind it)."""
        self._session.execute(
            update(Device)
            .where(Device.tenant_id == tenant_id, Device.id == device_id)
            .values(access_point_id=access_point_id)
        )

    def site_time_zones(self, *, tenant_id: str) -> dict[str, str]:
        """Every site of the tenant and its time zone (a change bumps the rules version)."""
        query = select(Site.id, Site.timezone).where(Site.tenant_id == tenant_id)
        return dict(self._session.execute(query).all())

    # -- the rules version --------------------------------------------------------------

    def version(self, *, tenant_id: str) -> int:
        """The tenant's rules version (bumped by every change to its access rules)."""
        return int(self._session.scalar(_RULES_VERSION, {"tenant_id": tenant_id}) or 0)

    def bump_version(self, *, tenant_id: str) -> None:
        """Mark the tenant's access rules changed (caches elsewhere reload them)."""
        self._session.execute(
            update(Tenant)
            .where(Tenant.id == tenant_id)
            .values(rules_version=Tenant.rules_version + 1)
        )
