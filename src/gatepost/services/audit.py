"""AuditService: the append-only, hash-chained trail of who did what, why and when.

Services record an action with ``uow.audit(tenant_id, AuditRecord(...))`` in their own
unit of work, so the action and its audit entry commit or roll back together (no
gaps); that call lands in :meth:`AuditService.append`. :meth:`record_alone` writes in
its own transaction, for what must be kept although the request fails (a refused
login, a denied authorisation). An append locks the tenant's chain head, so one
tenant's entries are numbered and chained one after another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gatepost.domain.ports import Clock
from gatepost.errors import NotFound
from gatepost.security.audit_chain import ChainEntry, UnreadableEntry, entry_mac, verify_chain
from gatepost.security.policy import Principal
from gatepost.services.keys import KeyService
from gatepost.services.pages import Page
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.store.db import Database

__all__ = ["AuditRecord", "AuditService", "VerifyReport"]


@dataclass(frozen=True)
class AuditRecord:
    """What to record. ``details`` must hold ids and codes only, never personal data."""

    actor: str
    action: str
    target: str = ""
    purpose: str = ""
    outcome: str = "ok"
    details: dict[str, str] | None = None


@dataclass(frozen=True)
class VerifyReport:
    tenant_id: str
    entries: int
    problems: list[str]

    @property
    def intact(self) -> bool:
        return not self.problems


class AuditService:
    def __init__(self, *, db: Database, keys: KeyService, clock: Clock) -> None:
        self._clock = clock
        # Its own transactions: the unit of work appends through this service, so the
        # service cannot be handed a Transactions built on it.
        self._tx = Transactions(db=db, keys=keys, audit=self)

    def append(self, uow: UnitOfWork, *, tenant_id: str, record: AuditRecord) -> ChainEntry:
        """Append ``record`` to the tenant's chain in ``uow``: for ``UnitOfWork.audit``
        only (services call ``uow.audit(...)``)."""
        head = uow.tenants.lock_audit_head(tenant_id=tenant_id)
        if head is None:
            raise NotFound("tenant")
        seq = head.seq + 1
        at = self._clock.now()
        details = dict(record.details or {})
        mac = entry_mac(
            uow.keys(tenant_id),
            seq=seq,
            at=at,
            actor=record.actor,
            action=record.action,
            purpose=record.purpose,
            target=record.target,
            outcome=record.outcome,
            details=details,
            prev_mac=head.mac,
        )
        entry = ChainEntry(
            seq=seq,
            at=at,
            actor=record.actor,
            action=record.action,
            purpose=record.purpose,
            target=record.target,
            outcome=record.outcome,
            details=details,
            prev_mac=head.mac,
            mac=mac,
        )
        uow.audit_log.add(entry, tenant_id=tenant_id)
        uow.tenants.set_audit_head(tenant_id=tenant_id, seq=seq, mac=mac)
        return entry

    def record_alone(self, *, tenant_id: str, record: AuditRecord) -> None:
        """Append ``record`` in a transaction of its own (kept whatever the caller's fate)."""
        with self._tx.write() as uow:
            uow.audit(tenant_id, record)

    def list(
        self,
        principal: Principal,
        *,
        limit: int,
        before_seq: int | None = None,
        action: str | None = None,
        actor: str | None = None,
    ) -> Sequence[ChainEntry | UnreadableEntry]:
        """The caller's tenant's entries, newest first (``seq`` below ``before_seq``); a
        row that cannot be read back comes as an ``UnreadableEntry``."""
        with self._tx.read() as uow:
            return uow.audit_log.list(
                tenant_id=principal.tenant_id,
                limit=limit,
                before_seq=before_seq,
                action=action,
                actor=actor,
            )

    def page(
        self,
        principal: Principal,
        *,
        limit: int,
        before_seq: int | None = None,
        action: str | None = None,
        actor: str | None = None,
    ) -> Page[ChainEntry | UnreadableEntry]:
        """A page of :meth:`list`; the cursor is the lowest readable ``seq`` shown."""
        rows = self.list(
            principal, limit=limit + 1, before_seq=before_seq, action=action, actor=actor
        )
        shown = rows[:limit]
        seqs = [row.seq for row in shown if row.seq is not None]
        next_cursor = str(min(seqs)) if len(rows) > limit and seqs else None
        return Page(shown, next_cursor, limit)

    def verify(self, *, tenant_id: str) -> VerifyReport:
        """Check the whole chain against the tenant's MAC key and recorded head."""
        with self._tx.read() as uow:
            head = uow.tenants.audit_head(tenant_id=tenant_id)
            if head is None:
                raise NotFound("tenant")
            entries = list(uow.audit_log.chain(tenant_id=tenant_id))
            problems = verify_chain(
                uow.keys(tenant_id), entries, head_seq=head.seq, head_mac=head.mac
            )
        return VerifyReport(tenant_id=tenant_id, entries=len(entries), problems=problems)
