"""Registered devices and their credentials (rows in, ``domain.devices.Device`` out).

A device's secrets never travel in a ``Device``: the bearer credential's hash, the
broker password's hash and the sealed MAC key go in through named arguments and come
out only through the methods that need them (:meth:`DeviceRepository.sealed_mac_key`,
:meth:`DeviceRepository.broker_accounts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from gatepost.domain.devices import Device, DeviceKind, DeviceRole, Direction
from gatepost.store.tables import Device as DeviceRow
from gatepost.store.tables import Tenant as TenantRow

__all__ = ["BrokerAccount", "DeviceRepository"]


@dataclass(frozen=True, repr=False)
class BrokerAccount:
    """A device's broker account as the password file needs it (hash only)."""

    tenant_id: str
    device_id: str
    password_hash: str

    def __repr__(self) -> str:
        return f"BrokerAccount(tenant_id={self.tenant_id}, device_id={self.device_id})"


def _device(row: DeviceRow) -> Device:
    return Device(
        tenant_id=row.tenant_id,
        id=row.id,
        site_id=row.site_id,
        name=row.name,
        kind=DeviceKind(row.kind),
        direction=Direction(row.direction),
        zone=row.zone,
        roles=tuple(DeviceRole(r) for r in row.roles),
        created_at=row.created_at,
        credential_rotated_at=row.credential_rotated_at,
        revoked_at=row.revoked_at,
        last_seen_at=row.last_seen_at,
        access_point_id=row.access_point_id,
    )


class DeviceRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self,
        device: Device,
        *,
        credential_hash: bytes,
        mqtt_password_hash: str,
        mac_key_sealed: bytes,
    ) -> None:
        self._session.add(
            DeviceRow(
                tenant_id=device.tenant_id,
                id=device.id,
                site_id=device.site_id,
                name=device.name,
                kind=device.kind.value,
                direction=device.direction.value,
                zone=device.zone,
                roles=[r.value for r in device.roles],
                credential_hash=credential_hash,
                mqtt_password_hash=mqtt_password_hash,
                mac_key_sealed=mac_key_sealed,
                credential_rotated_at=device.credential_rotated_at,
                revoked_at=device.revoked_at,
                created_at=device.created_at,
                last_seen_at=device.last_seen_at,
                access_point_id=device.access_point_id,
            )
        )
        self._session.flush()

    def get(self, *, tenant_id: str, device_id: str) -> Device | None:
        row = self._session.get(DeviceRow, (tenant_id, device_id))
        return _device(row) if row is not None else None

    def count(self, *, tenant_id: str) -> int:
        query = select(func.count()).select_from(DeviceRow).where(DeviceRow.tenant_id == tenant_id)
        return int(self._session.scalar(query) or 0)

    def lock(self, *, tenant_id: str, device_id: str) -> None:
        """Lock the device's row until the transaction ends (serialises its writes)."""
        self._session.execute(
            select(DeviceRow.id)
            .where(DeviceRow.tenant_id == tenant_id, DeviceRow.id == device_id)
            .with_for_update()
        )

    def by_credential(self, *, tenant_id: str, credential_hash: bytes) -> Device | None:
        row = self._session.scalars(
            select(DeviceRow).where(
                DeviceRow.tenant_id == tenant_id, DeviceRow.credential_hash == credential_hash
            )
        ).one_or_none()
        return _device(row) if row is not None else None

    def by_name(self, *, tenant_id: str, site_id: str, name: str) -> Device | None:
        row = self._session.scalars(
            select(DeviceRow).where(
                DeviceRow.tenant_id == tenant_id,
                DeviceRow.site_id == site_id,
                DeviceRow.name == name,
            )
        ).one_or_none()
        return _device(row) if row is not None else None

    def list(
        self, *, tenant_id: str, limit: int, after: str | None, site_id: str | None = None
    ) -> Sequence[Device]:
        query = (
            select(DeviceRow)
            .where(DeviceRow.tenant_id == tenant_id)
            .order_by(DeviceRow.id)
            .limit(limit)
        )
        if after:
            query = query.where(DeviceRow.id > after)
        if site_id:
            query = query.where(DeviceRow.site_id == site_id)
        return [_device(row) for row in self._session.scalars(query)]

    def touch(self, *, tenant_id: str, device_id: str, now: datetime) -> None:
        """Record that the device was seen at ``now`` (the time never moves back)."""
        self._session.execute(
            update(DeviceRow)
            .where(
                DeviceRow.tenant_id == tenant_id,
                DeviceRow.id == device_id,
                or_(DeviceRow.last_seen_at.is_(None), DeviceRow.last_seen_at < now),
            )
            .values(last_seen_at=now)
        )

    def set_credential(
        self,
        *,
        tenant_id: str,
        device_id: str,
        credential_hash: bytes,
        mqtt_password_hash: str,
        mac_key_sealed: bytes,
        at: datetime,
    ) -> None:
        """Replace all three secrets at once (bearer, broker password, MAC key)."""
        self._session.execute(
            update(DeviceRow)
            .where(DeviceRow.tenant_id == tenant_id, DeviceRow.id == device_id)
            .values(
                credential_hash=credential_hash,
                mqtt_password_hash=mqtt_password_hash,
                mac_key_sealed=mac_key_sealed,
                credential_rotated_at=at,
            )
        )

    def sealed_mac_key(self, *, tenant_id: str, device_id: str) -> bytes | None:
        """The device's MAC key as stored (sealed to devices.mac_key_sealed and the
        device's id); None for an unknown or revoked device, or one without MQTT."""
        return self._session.scalar(
            select(DeviceRow.mac_key_sealed).where(
                DeviceRow.tenant_id == tenant_id,
                DeviceRow.id == device_id,
                DeviceRow.revoked_at.is_(None),
            )
        )

    def broker_accounts(self) -> tuple[BrokerAccount, ...]:
        """Every tenant's unrevoked devices that have a broker password, in a stable
        order; none of a suspended tenant. Platform-wide on purpose: the broker has one
        password file."""
        rows = self._session.execute(
            select(DeviceRow.tenant_id, DeviceRow.id, DeviceRow.mqtt_password_hash)
            .join(TenantRow, TenantRow.id == DeviceRow.tenant_id)
            .where(
                DeviceRow.revoked_at.is_(None),
                DeviceRow.mqtt_password_hash.is_not(None),
                TenantRow.suspended_at.is_(None),
            )
            .order_by(DeviceRow.tenant_id, DeviceRow.id)
        )
        return tuple(
            BrokerAccount(tenant_id=tenant_id, device_id=device_id, password_hash=hashed)
            for tenant_id, device_id, hashed in rows
            if hashed is not None
        )

    def revoke(self, *, tenant_id: str, device_id: str, at: datetime) -> None:
        """Revoke the device at ``at`` unless it already is (the first time stays)."""
        self._session.execute(
            update(DeviceRow)
            .where(
                DeviceRow.tenant_id == tenant_id,
                DeviceRow.id == device_id,
                DeviceRow.revoked_at.is_(None),
            )
            .values(revoked_at=at)
        )
