"""The audit log's entries (rows in, ``security.audit_chain.ChainEntry`` out).

Entries are only ever appended: the table refuses UPDATE and DELETE (triggers), and
this repository offers neither. The chain's head (last sequence and MAC) lives on the
tenant row: see ``TenantRepository.lock_audit_head``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gatepost.security.audit_chain import ChainEntry
from gatepost.store.tables import AuditEntry

__all__ = ["AuditRepository"]


def _entry(row: AuditEntry) -> ChainEntry:
    return ChainEntry(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        purpose=row.purpose,
        target=row.target,
        outcome=row.outcome,
        details=dict(row.details),
        prev_mac=bytes(row.prev_mac),
        mac=bytes(row.mac),
    )


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, entry: ChainEntry, *, tenant_id: str) -> None:
        self._session.add(
            AuditEntry(
                tenant_id=tenant_id,
                seq=entry.seq,
                at=entry.at,
                actor=entry.actor,
                action=entry.action,
                purpose=entry.purpose,
                target=entry.target,
                outcome=entry.outcome,
                details=dict(entry.details),
                prev_mac=entry.prev_mac,
                mac=entry.mac,
            )
        )
        self._session.flush()

    def chain(self, *, tenant_id: str) -> Iterator[ChainEntry]:
        """Every entry of the tenant, oldest first (streamed, for verification)."""
        query = (
            select(AuditEntry)
            .where(AuditEntry.tenant_id == tenant_id)
            .order_by(AuditEntry.seq)
            .execution_options(yield_per=1000)
        )
        for row in self._session.scalars(query):
            yield _entry(row)

    def list(
        self,
        *,
        tenant_id: str,
        limit: int,
        before_seq: int | None = None,
        action: str | None = None,
        actor: str | None = None,
    ) -> list[ChainEntry]:
        """Newest first, below ``before_seq`` when given, optionally of one action or actor."""
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
        return [_entry(row) for row in self._session.scalars(query)]

    def latest(
        self, *, tenant_id: str, actor: str, action: str, target: str, since: datetime
    ) -> ChainEntry | None:
        """The newest entry of ``actor``'s ``action`` on ``target`` written at or after
        ``since``; None when there is none (a look within the ``(tenant_id, at)`` index)."""
        query = (
            select(AuditEntry)
            .where(
                AuditEntry.tenant_id == tenant_id,
                AuditEntry.at >= since,
                AuditEntry.actor == actor,
                AuditEntry.action == action,
                AuditEntry.target == target,
            )
            .order_by(AuditEntry.seq.desc())
            .limit(1)
        )
        row = self._session.scalars(query).first()
        return None if row is None else _entry(row)
