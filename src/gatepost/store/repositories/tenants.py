"""Tenants and their wrapped data keys."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from gatepost.store.tables import Tenant, TenantKey

__all__ = [
    "add_key",
    "add_tenant",
    "all_keys",
    "deactivate_keys",
    "delete_keys",
    "get_by_slug",
    "get_tenant",
    "keys_of",
    "list_tenants",
    "lock_tenant",
]


def add_tenant(session: Session, tenant: Tenant) -> Tenant:
    session.add(tenant)
    session.flush()
    return tenant


def get_tenant(session: Session, *, tenant_id: str) -> Tenant | None:
    return session.get(Tenant, tenant_id)


def lock_tenant(session: Session, *, tenant_id: str) -> Tenant | None:
    """The tenant row, locked for update (serialises audit appends per tenant)."""
    return session.scalars(
        select(Tenant).where(Tenant.id == tenant_id).with_for_update()
    ).one_or_none()


def get_by_slug(session: Session, slug: str) -> Tenant | None:
    return session.scalars(select(Tenant).where(Tenant.slug == slug)).one_or_none()


def list_tenants(session: Session, *, limit: int, after: str | None) -> Sequence[Tenant]:
    query = select(Tenant).order_by(Tenant.id).limit(limit)
    if after:
        query = query.where(Tenant.id > after)
    return session.scalars(query).all()


def add_key(session: Session, key: TenantKey) -> None:
    session.add(key)
    session.flush()


def keys_of(session: Session, *, tenant_id: str) -> Sequence[TenantKey]:
    return session.scalars(select(TenantKey).where(TenantKey.tenant_id == tenant_id)).all()


def all_keys(session: Session) -> Sequence[TenantKey]:
    return session.scalars(select(TenantKey).order_by(TenantKey.tenant_id)).all()


def deactivate_keys(session: Session, *, tenant_id: str, purpose: str) -> None:
    session.execute(
        update(TenantKey)
        .where(TenantKey.tenant_id == tenant_id, TenantKey.purpose == purpose)
        .values(active=False)
    )


def delete_keys(session: Session, *, tenant_id: str) -> int:
    result = session.execute(delete(TenantKey).where(TenantKey.tenant_id == tenant_id))
    return int(result.rowcount)  # type: ignore[attr-defined]
