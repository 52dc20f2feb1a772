"""Known vehicles (plates sealed, found through blind indexes).

The repository stores and returns :class:`StoredVehicle` records: the plate and the
description as ciphertext, as they are in the table. Opening them is the service's
job (it holds the tenant's keys).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from gatepost.domain.vehicles import AccessList
from gatepost.store.tables import Tenant, Vehicle

__all__ = ["StoredVehicle", "VehicleRepository"]


@dataclass(frozen=True, repr=False)
class StoredVehicle:
    tenant_id: str
    id: str
    plate_sealed: bytes
    plate_index: bytes
    region: str
    list: AccessList
    person_id: str | None
    site_id: str | None
    valid_from: datetime | None
    valid_until: datetime | None
    description_sealed: bytes | None
    created_at: datetime
    updated_at: datetime

    def __repr__(self) -> str:
        return f"StoredVehicle(id={self.id})"


def _stored(row: Vehicle) -> StoredVehicle:
    return StoredVehicle(
        tenant_id=row.tenant_id,
        id=row.id,
        plate_sealed=row.plate_sealed,
        plate_index=row.plate_index,
        region=row.region,
        list=AccessList(row.list),
        person_id=row.person_id,
        site_id=row.site_id,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        description_sealed=row.description_sealed,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class VehicleRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def save(self, vehicle: StoredVehicle) -> None:
        """Insert the vehicle, or replace every column of the one with its id."""
        columns = {f.name: getattr(vehicle, f.name) for f in fields(vehicle)}
        self._session.merge(Vehicle(**columns | {"list": vehicle.list.value}))
        self._session.flush()

    def get(self, *, tenant_id: str, vehicle_id: str) -> StoredVehicle | None:
        row = self._session.get(Vehicle, (tenant_id, vehicle_id))
        return _stored(row) if row is not None else None

    def by_plate_index(self, *, tenant_id: str, index: bytes) -> StoredVehicle | None:
        row = self._session.scalars(
            select(Vehicle).where(Vehicle.tenant_id == tenant_id, Vehicle.plate_index == index)
        ).one_or_none()
        return _stored(row) if row is not None else None

    def list(
        self,
        *,
        tenant_id: str,
        limit: int,
        after: str | None,
        site_id: str | None = None,
        person_id: str | None = None,
        plate_index: bytes | None = None,
        access_list: AccessList | None = None,
    ) -> Sequence[StoredVehicle]:
        query = (
            select(Vehicle).where(Vehicle.tenant_id == tenant_id).order_by(Vehicle.id).limit(limit)
        )
        if after:
            query = query.where(Vehicle.id > after)
        if site_id:
            query = query.where(Vehicle.site_id == site_id)
        if person_id:
            query = query.where(Vehicle.person_id == person_id)
        if plate_index is not None:
            query = query.where(Vehicle.plate_index == plate_index)
        if access_list is not None:
            query = query.where(Vehicle.list == access_list.value)
        return [_stored(row) for row in self._session.scalars(query)]

    def delete(self, *, tenant_id: str, vehicle_id: str) -> None:
        self._session.execute(
            delete(Vehicle).where(Vehicle.tenant_id == tenant_id, Vehicle.id == vehicle_id)
        )

    def version(self, *, tenant_id: str) -> int:
        """The tenant's known-vehicle version (bumped by every change to its vehicles)."""
        return int(
            self._session.scalar(select(Tenant.vehicle_version).where(Tenant.id == tenant_id)) or 0
        )

    def bump_version(self, *, tenant_id: str) -> None:
        """Mark the tenant's known vehicles changed (caches elsewhere reload them)."""
        self._session.execute(
            update(Tenant)
            .where(Tenant.id == tenant_id)
            .values(vehicle_version=Tenant.vehicle_version + 1)
        )
