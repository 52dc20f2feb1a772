"""The audit log rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from gatepost.store.tables import AuditEntry

__all__ = ["add_entry", "iter_chain", "list_entries"]


def add_entry(session: Session, entry: AuditEntry) -> None:
    session.add(entry)
    session.flush()


def iter_chain(session: Session, *, tenant_id: str) -> Iterator[AuditEntry]:
    yield from session.scalars(
        select(AuditEntry)
        .where(AuditEntry.tenant_id == tenant_id)
        .order_by(AuditEntry.seq)
        .execution_options(yield_per=1000)
    )


def list_entries(
    session: Session,
    *,
    tenant_id: str,
    limit: int,
    before_seq: int | None = None,
    action: str | None = None,
    actor: str | None = None,
) -> Sequence[AuditEntry]:
    query = (
        select(AuditEntry)
        .where(AuditEntry.tenant_id == tenant_id)
        .order_by(AuditEntry.seq.desc())
        .limit(limit)
    )
    if before_seq is not None:
        query = query.where(AuditEntry.seq < before_seq)
    if action:
        query = query.where(AuditEntry.action == action)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    return session.scalars(query).all()
