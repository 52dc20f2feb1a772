"""The append-only event store: idempotent batch inserts and filtered listing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from gatepost.store.tables import Event

__all__ = ["count_events", "get_event", "insert_events", "list_events"]


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert rows, skipping (tenant, device, idempotency key) already stored.

    Returns the idempotency keys that were newly stored.
    """
    if not rows:
        return set()
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(Event)
        .on_conflict_do_nothing(index_elements=["tenant_id", "device_id", "idempotency_key"])
        .returning(Event.idempotency_key)
    )
    stored = session.scalars(statement, list(rows)).all()
    return set(stored)


def count_events(session: Session, *, tenant_id: str, since: datetime | None = None) -> int:
    query = select(func.count()).select_from(Event).where(Event.tenant_id == tenant_id)
    if since is not None:
        query = query.where(Event.occurred_at >= since)
    return int(session.scalar(query) or 0)


def get_event(session: Session, *, tenant_id: str, event_id: str) -> Event | None:
    return session.get(Event, (tenant_id, event_id))


def list_events(
    session: Session,
    *,
    tenant_id: str,
    limit: int,
    before: tuple[datetime, str] | None = None,
    site_id: str | None = None,
    device_id: str | None = None,
    person_id: str | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Sequence[Event]:
    """Newest first, keyset-paginated on (occurred_at, id)."""
    query = (
        select(Event)
        .where(Event.tenant_id == tenant_id)
        .order_by(Event.occurred_at.desc(), Event.id.desc())
        .limit(limit)
    )
    if before is not None:
        at, event_id = before
        query = query.where(
            (Event.occurred_at < at) | ((Event.occurred_at == at) & (Event.id < event_id))
        )
    if site_id:
        query = query.where(Event.site_id == site_id)
    if device_id:
        query = query.where(Event.device_id == device_id)
    if person_id:
        query = query.where(Event.person_id == person_id)
    if kind:
        query = query.where(Event.kind == kind)
    if since:
        query = query.where(Event.occurred_at >= since)
    if until:
        query = query.where(Event.occurred_at < until)
    return session.scalars(query).all()
