"""Registered devices and their credentials."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Update, func, or_, select, update
from sqlalchemy.orm import Session

from gatepost.store.tables import Device

__all__ = [
    "add_device",
    "by_credential",
    "by_name",
    "count_devices",
    "get_device",
    "list_devices",
    "lock_device",
    "touch_device",
]


def add_device(session: Session, device: Device) -> None:
    session.add(device)
    session.flush()


def count_devices(session: Session, *, tenant_id: str) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(Device).where(Device.tenant_id == tenant_id)
        )
        or 0
    )


def get_device(session: Session, *, tenant_id: str, device_id: str) -> Device | None:
    return session.get(Device, (tenant_id, device_id))


def lock_device(session: Session, *, tenant_id: str, device_id: str) -> None:
    """Lock the device's row until the transaction ends (serialises its writes)."""
    session.execute(
        select(Device.id)
        .where(Device.tenant_id == tenant_id, Device.id == device_id)
        .with_for_update()
    )


def by_credential(session: Session, *, tenant_id: str, credential_hash: bytes) -> Device | None:
    return session.scalars(
        select(Device).where(
            Device.tenant_id == tenant_id, Device.credential_hash == credential_hash
        )
    ).one_or_none()


def touch_device(device: Device, *, now: datetime) -> Update:
    """The statement recording that a device was seen at ``now`` (never moves back)."""
    return (
        update(Device)
        .where(
            Device.tenant_id == device.tenant_id,
            Device.id == device.id,
            or_(Device.last_seen_at.is_(None), Device.last_seen_at < now),
        )
        .values(last_seen_at=now)
    )


def list_devices(
    session: Session,
    *,
    tenant_id: str,
    limit: int,
    after: str | None,
    site_id: str | None = None,
) -> Sequence[Device]:
    query = select(Device).where(Device.tenant_id == tenant_id).order_by(Device.id).limit(limit)
    if after:
        query = query.where(Device.id > after)
    if site_id:
        query = query.where(Device.site_id == site_id)
    return session.scalars(query).all()


def by_name(session: Session, *, tenant_id: str, site_id: str, name: str) -> Device | None:
    return session.scalars(
        select(Device).where(
            Device.tenant_id == tenant_id, Device.site_id == site_id, Device.name == name
        )
    ).one_or_none()
