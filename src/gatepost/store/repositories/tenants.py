"""Tenants (rows in, ``domain.tenants.Tenant`` out), their audit chain heads, and
their wrapped data keys (for the key service)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from gatepost.domain.tenants import Tenant as TenantRecord
from gatepost.security.audit_chain import GENESIS
from gatepost.store.tables import (
    FaceTemplate,
    MediaObject,
    Person,
    PlateRead,
    Tenant,
    TenantKey,
    User,
    Vehicle,
)

__all__ = ["AuditHead", "TenantKeyRepository", "TenantRepository", "WrappedKey"]


def _tenant(row: Tenant) -> TenantRecord:
    return TenantRecord(
        id=row.id,
        slug=row.slug,
        name=row.name,
        created_at=row.created_at,
        keys_shredded_at=row.keys_shredded_at,
        suspended_at=row.suspended_at,
        face_target_fmr=row.face_target_fmr,
        face_max_fpir=row.face_max_fpir,
        face_photo_days=row.face_photo_days,
        face_gallery_version=row.face_gallery_version,
        plate_read_days=row.plate_read_days,
        plate_stranger_days=row.plate_stranger_days,
        plate_image_days=row.plate_image_days,
        timezone=row.timezone,
    )


@dataclass(frozen=True)
class AuditHead:
    """Where a tenant's audit chain ends: its last sequence number and entry MAC."""

    seq: int
    mac: bytes


class TenantRepository:
    """Tenants as ``domain.tenants.Tenant``; policies change through named methods."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, *, tenant_id: str) -> TenantRecord | None:
        row = self._session.get(Tenant, tenant_id)
        return _tenant(row) if row is not None else None

    def by_slug(self, slug: str) -> TenantRecord | None:
        row = self._session.scalars(select(Tenant).where(Tenant.slug == slug)).one_or_none()
        return _tenant(row) if row is not None else None

    def list(self, *, limit: int, after: str | None) -> list[TenantRecord]:
        query = select(Tenant).order_by(Tenant.id).limit(limit)
        if after:
            query = query.where(Tenant.id > after)
        return [_tenant(row) for row in self._session.scalars(query)]

    def add(self, tenant: TenantRecord) -> None:
        """A new tenant, its audit chain empty (its head is the genesis MAC)."""
        self._session.add(
            Tenant(
                id=tenant.id,
                slug=tenant.slug,
                name=tenant.name,
                created_at=tenant.created_at,
                audit_seq=0,
                audit_head=GENESIS,
                keys_shredded_at=tenant.keys_shredded_at,
                suspended_at=tenant.suspended_at,
                face_target_fmr=tenant.face_target_fmr,
                face_max_fpir=tenant.face_max_fpir,
                face_photo_days=tenant.face_photo_days,
                face_gallery_version=tenant.face_gallery_version,
                plate_read_days=tenant.plate_read_days,
                plate_stranger_days=tenant.plate_stranger_days,
                plate_image_days=tenant.plate_image_days,
                timezone=tenant.timezone,
            )
        )
        self._session.flush()

    def audit_head(self, *, tenant_id: str) -> AuditHead | None:
        """The last sequence number and MAC of the tenant's audit chain."""
        row = self._session.execute(
            select(Tenant.audit_seq, Tenant.audit_head).where(Tenant.id == tenant_id)
        ).one_or_none()
        return AuditHead(seq=row.audit_seq, mac=bytes(row.audit_head)) if row else None

    def lock_audit_head(self, *, tenant_id: str) -> AuditHead | None:
        """The audit chain's head, with the tenant row locked until the transaction
        ends: appends to one tenant's chain are serialised."""
        row = self._session.execute(
            select(Tenant.audit_seq, Tenant.audit_head)
            .where(Tenant.id == tenant_id)
            .with_for_update()
        ).one_or_none()
        return AuditHead(seq=row.audit_seq, mac=bytes(row.audit_head)) if row else None

    def set_audit_head(self, *, tenant_id: str, seq: int, mac: bytes) -> None:
        """The chain now ends at entry ``seq``, whose MAC is ``mac``."""
        self._update(tenant_id, audit_seq=seq, audit_head=mac)

    def _update(self, tenant_id: str, **values: object) -> None:
        self._session.execute(update(Tenant).where(Tenant.id == tenant_id).values(**values))

    def set_face_policy(
        self, *, tenant_id: str, target_fmr: float, max_fpir: float, photo_days: int
    ) -> None:
        self._update(
            tenant_id,
            face_target_fmr=target_fmr,
            face_max_fpir=max_fpir,
            face_photo_days=photo_days,
        )

    def set_plate_policy(
        self, *, tenant_id: str, read_days: int, stranger_days: int, image_days: int
    ) -> None:
        self._update(
            tenant_id,
            plate_read_days=read_days,
            plate_stranger_days=stranger_days,
            plate_image_days=image_days,
        )

    def set_timezone(self, *, tenant_id: str, timezone: str) -> None:
        self._update(tenant_id, timezone=timezone)

    def mark_shredded(self, *, tenant_id: str, at: datetime) -> None:
        self._update(tenant_id, keys_shredded_at=at)

    def set_suspended(self, *, tenant_id: str, at: datetime | None) -> None:
        """Suspend the tenant from ``at`` (None: resume it)."""
        self._update(tenant_id, suspended_at=at)

    def user_counts(self, *, tenant_ids: Sequence[str]) -> dict[str, int]:
        """How many user accounts each of these tenants has (absent: none)."""
        if not tenant_ids:
            return {}
        rows = self._session.execute(
            select(User.tenant_id, func.count())
            .where(User.tenant_id.in_(tenant_ids))
            .group_by(User.tenant_id)
        )
        return {tenant_id: int(count) for tenant_id, count in rows}

    def sealed_counts(self, *, tenant_id: str) -> dict[str, int]:
        """How many rows of each data class holding sealed values the tenant has
        (what crypto-shredding makes unreadable)."""
        columns = {
            "persons": Person.tenant_id,
            "face_templates": FaceTemplate.tenant_id,
            "vehicles": Vehicle.tenant_id,
            "plate_reads": PlateRead.tenant_id,
            "media_objects": MediaObject.tenant_id,
            "users": User.tenant_id,
        }
        return {
            name: int(self._session.scalar(select(func.count()).where(column == tenant_id)) or 0)
            for name, column in columns.items()
        }

    def bump_face_gallery_version(self, *, tenant_id: str) -> int:
        """Increment and return the tenant's face-data version (the UPDATE locks the
        row until the transaction ends, so concurrent changes get distinct versions)."""
        self._update(tenant_id, face_gallery_version=Tenant.face_gallery_version + 1)
        version = self._session.scalar(
            select(Tenant.face_gallery_version).where(Tenant.id == tenant_id)
        )
        return int(version or 0)


@dataclass(frozen=True)
class WrappedKey:
    """A tenant's data key as stored: wrapped by the KEK, bound to tenant, purpose and
    generation (see ``security.crypto.wrap_key``)."""

    tenant_id: str
    purpose: str
    generation: int
    wrapped: bytes = field(repr=False)
    active: bool
    created_at: datetime


def _wrapped_key(row: TenantKey) -> WrappedKey:
    return WrappedKey(
        tenant_id=row.tenant_id,
        purpose=row.purpose,
        generation=row.generation,
        wrapped=bytes(row.wrapped),
        active=bool(row.active),
        created_at=row.created_at,
    )


class TenantKeyRepository:
    """Tenants' wrapped data keys, for the key service only (nothing else unwraps them)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, key: WrappedKey) -> None:
        self._session.add(
            TenantKey(
                tenant_id=key.tenant_id,
                purpose=key.purpose,
                generation=key.generation,
                wrapped=key.wrapped,
                active=key.active,
                created_at=key.created_at,
            )
        )
        self._session.flush()

    def of_tenant(self, *, tenant_id: str) -> list[WrappedKey]:
        query = (
            select(TenantKey)
            .where(TenantKey.tenant_id == tenant_id)
            .order_by(TenantKey.purpose, TenantKey.generation)
        )
        return [_wrapped_key(row) for row in self._session.scalars(query)]

    def all(self) -> list[WrappedKey]:
        """Every tenant's keys (KEK rotation re-wraps them all)."""
        query = select(TenantKey).order_by(
            TenantKey.tenant_id, TenantKey.purpose, TenantKey.generation
        )
        return [_wrapped_key(row) for row in self._session.scalars(query)]

    def deactivate(self, *, tenant_id: str, purpose: str) -> None:
        """No key of this purpose is the active one any more (a new one follows)."""
        self._session.execute(
            update(TenantKey)
            .where(TenantKey.tenant_id == tenant_id, TenantKey.purpose == purpose)
            .values(active=False)
        )

    def rewrap(self, key: WrappedKey, *, wrapped: bytes) -> None:
        """Store ``key`` wrapped anew (same tenant, purpose and generation)."""
        self._session.execute(
            update(TenantKey)
            .where(
                TenantKey.tenant_id == key.tenant_id,
                TenantKey.purpose == key.purpose,
                TenantKey.generation == key.generation,
            )
            .values(wrapped=wrapped)
        )

    def delete_all(self, *, tenant_id: str) -> int:
        """Destroy the tenant's keys (crypto-shredding); returns how many there were."""
        result = self._session.execute(delete(TenantKey).where(TenantKey.tenant_id == tenant_id))
        return int(result.rowcount)  # type: ignore[attr-defined]
