"""Known vehicles (plates sealed, found through blind indexes)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gatepost.store.tables import Vehicle

__all__ = [
    "add_vehicle",
    "by_plate_index",
    "delete_vehicle",
    "get_vehicle",
    "list_vehicles",
]


def add_vehicle(session: Session, vehicle: Vehicle) -> None:
    session.add(vehicle)
    session.flush()


def get_vehicle(session: Session, *, tenant_id: str, vehicle_id: str) -> Vehicle | None:
    return session.get(Vehicle, (tenant_id, vehicle_id))


def by_plate_index(session: Session, *, tenant_id: str, index: bytes) -> Vehicle | None:
    return session.scalars(
        select(Vehicle).where(Vehicle.tenant_id == tenant_id, Vehicle.plate_index == index)
    ).one_or_none()


def list_vehicles(
    session: Session,
    *,
    tenant_id: str,
    limit: int,
    after: str | None,
    site_id: str | None = None,
    person_id: str | None = None,
    plate_index: bytes | None = None,
    access_list: str | None = None,
) -> Sequence[Vehicle]:
    query = select(Vehicle).where(Vehicle.tenant_id == tenant_id).order_by(Vehicle.id).limit(limit)
    if after:
        query = query.where(Vehicle.id > after)
    if site_id:
        query = query.where(Vehicle.site_id == site_id)
    if person_id:
        query = query.where(Vehicle.person_id == person_id)
    if plate_index is not None:
        query = query.where(Vehicle.plate_index == plate_index)
    if access_list:
        query = query.where(Vehicle.list == access_list)
    return session.scalars(query).all()


def delete_vehicle(session: Session, *, tenant_id: str, vehicle_id: str) -> None:
    session.execute(delete(Vehicle).where(Vehicle.tenant_id == tenant_id, Vehicle.id == vehicle_id))
