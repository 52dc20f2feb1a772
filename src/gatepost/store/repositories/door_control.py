"""Remote door control: the devices bound to access points, how many people are in each
zone, and the remote lockdown of an access point with the door mode it replaced.

Rows in, frozen records out; every method takes the tenant as the keyword-only
``tenant_id`` and filters by it in SQL. A lockdown and its release are single
conditional UPDATEs, so two operators locking down one door at once cannot both
succeed, and the mode a lockdown replaced is never overwritten by a second lockdown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gatepost.domain.access_points import DoorMode
from gatepost.domain.devices import DeviceKind
from gatepost.store.tables import AccessPoint, PresenceRow
from gatepost.store.tables import Device as DeviceRow

__all__ = ["BoundDevice", "DoorControlRepository"]


@dataclass(frozen=True)
class BoundDevice:
    """A live (unrevoked) device bound to an access point: what a command needs and an
    operator sees."""

    id: str
    name: str
    kind: DeviceKind
    access_point_id: str
    last_seen_at: datetime | None


def _bound(row: DeviceRow) -> BoundDevice:
    return BoundDevice(
        id=row.id,
        name=row.name,
        kind=DeviceKind(row.kind),
        access_point_id=row.access_point_id or "",
        last_seen_at=row.last_seen_at,
    )


def _restorable(before: str | None, *, has_schedule: bool) -> DoorMode:
    """The mode a release goes back to: the one the lockdown replaced, unless that is
    unknown, a lockdown itself, or a scheduled unlock whose schedule was removed since."""
    if before is None or before == DoorMode.LOCKDOWN.value:
        return DoorMode.NORMALLY_LOCKED
    mode = DoorMode(before)
    if mode is DoorMode.SCHEDULED_UNLOCK and not has_schedule:
        return DoorMode.NORMALLY_LOCKED
    return mode


class DoorControlRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def bound_devices(
        self, *, tenant_id: str, access_point_ids: Sequence[str]
    ) -> list[BoundDevice]:
        """The unrevoked devices bound to any of ``access_point_ids``, by name."""
        if not access_point_ids:
            return []
        query = (
            select(DeviceRow)
            .where(
                DeviceRow.tenant_id == tenant_id,
                DeviceRow.access_point_id.in_(list(access_point_ids)),
                DeviceRow.revoked_at.is_(None),
            )
            .order_by(DeviceRow.name, DeviceRow.id)
        )
        return [_bound(row) for row in self._session.scalars(query)]

    def people_by_zone(self, *, tenant_id: str) -> dict[str, int]:
        """How many people the decisions place in each zone now (counts, no names)."""
        query = (
            select(PresenceRow.zone_id, func.count())
            .where(PresenceRow.tenant_id == tenant_id)
            .group_by(PresenceRow.zone_id)
        )
        return {zone_id: int(count) for zone_id, count in self._session.execute(query)}

    def door_mode(self, *, tenant_id: str, access_point_id: str) -> DoorMode:
        """The point's door mode as stored now (read afresh, not from the session)."""
        query = select(AccessPoint.door_mode).where(
            AccessPoint.tenant_id == tenant_id, AccessPoint.id == access_point_id
        )
        return DoorMode(self._session.scalars(query).one())

    def lock_down(self, *, tenant_id: str, access_point_id: str, at: datetime) -> bool:
        """Put the point into lockdown, keeping the mode it had; False when it was in
        lockdown already (nothing changed)."""
        result = self._session.execute(
            update(AccessPoint)
            .where(
                AccessPoint.tenant_id == tenant_id,
                AccessPoint.id == access_point_id,
                AccessPoint.door_mode != DoorMode.LOCKDOWN.value,
            )
            .values(
                mode_before_lockdown=AccessPoint.door_mode,
                door_mode=DoorMode.LOCKDOWN.value,
                updated_at=at,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def release(self, *, tenant_id: str, access_point_id: str, at: datetime) -> DoorMode | None:
        """End the point's lockdown: back to the mode the lockdown replaced (normally
        locked when the lockdown was set otherwise, as by an edit of the point); the
        restored mode, or None when the point was not in lockdown (nothing changed)."""
        row = self._session.get(AccessPoint, (tenant_id, access_point_id))
        if row is None or row.door_mode != DoorMode.LOCKDOWN.value:
            return None
        restored = _restorable(row.mode_before_lockdown, has_schedule=bool(row.unlock_schedule_id))
        result = self._session.execute(
            update(AccessPoint)
            .where(
                AccessPoint.tenant_id == tenant_id,
                AccessPoint.id == access_point_id,
                AccessPoint.door_mode == DoorMode.LOCKDOWN.value,
            )
            .values(door_mode=restored.value, mode_before_lockdown=None, updated_at=at)
            .execution_options(synchronize_session=False)
        )
        self._session.expire(row)
        return restored if getattr(result, "rowcount", 0) else None
