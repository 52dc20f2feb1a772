"""AuditService: the append-only, hash-chained trail of who did what, why and when.

Entries are written in the caller's transaction so an action and its audit entry
commit or roll back together (no gaps); :meth:`record_alone` writes in its own
transaction for things that must be kept although the request fails (a refused
login, a denied authorisation). Appends lock the tenant row, serialising the chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from gatepost.domain.ports import Clock
from gatepost.errors import NotFound
from gatepost.security.audit_chain import ChainEntry, entry_mac, verify_chain
from gatepost.security.policy import Principal
from gatepost.services.keys import KeyService
from gatepost.store.db import Database
from gatepost.store.repositories import audit as audit_repo
from gatepost.store.repositories import tenants as tenant_repo
from gatepost.store.tables import AuditEntry

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
        self._db = db
        self._keys = keys
        self._clock = clock

    def record(self, session: Session, *, tenant_id: str, record: AuditRecord) -> AuditEntry:
        tenant = tenant_repo.lock_tenant(session, tenant_id=tenant_id)
        if tenant is None:
            raise NotFound("tenant")
        keys = self._keys.keys_for(session, tenant_id=tenant_id)
        seq = tenant.audit_seq + 1
        at = self._clock.now()
        details = dict(record.details or {})
        mac = entry_mac(
            keys,
            seq=seq,
            at=at,
            actor=record.actor,
            action=record.action,
            purpose=record.purpose,
            target=record.target,
            outcome=record.outcome,
            details=details,
            prev_mac=tenant.audit_head,
        )
        entry = AuditEntry(
            tenant_id=tenant_id,
            seq=seq,
            at=at,
            actor=record.actor,
            action=record.action,
            purpose=record.purpose,
            target=record.target,
            outcome=record.outcome,
            details=details,
            prev_mac=tenant.audit_head,
            mac=mac,
        )
        audit_repo.add_entry(session, entry)
        tenant.audit_seq = seq
        tenant.audit_head = mac
        session.flush()
        return entry

    def record_alone(self, *, tenant_id: str, record: AuditRecord) -> None:
        with self._db.session() as session:
            self.record(session, tenant_id=tenant_id, record=record)

    def list(
        self,
        principal: Principal,
        *,
        limit: int,
        before_seq: int | None = None,
        action: str | None = None,
        actor: str | None = None,
    ) -> Sequence[AuditEntry]:
        with self._db.session() as session:
            return audit_repo.list_entries(
                session,
                tenant_id=principal.tenant_id,
                limit=limit,
                before_seq=before_seq,
                action=action,
                actor=actor,
            )

    def verify(self, *, tenant_id: str) -> VerifyReport:
        with self._db.session() as session:
            tenant = tenant_repo.get_tenant(session, tenant_id=tenant_id)
            if tenant is None:
                raise NotFound("tenant")
            keys = self._keys.keys_for(session, tenant_id=tenant_id)
            count = 0

            def chain() -> list[ChainEntry]:
                nonlocal count
                entries = []
                for row in audit_repo.iter_chain(session, tenant_id=tenant_id):
                    count += 1
                    entries.append(
                        ChainEntry(
                            seq=row.seq,
                            at=row.at,
                            actor=row.actor,
                            action=row.action,
                            purpose=row.purpose,
                            target=row.target,
                            outcome=row.outcome,
                            details=row.details,
                            prev_mac=row.prev_mac,
                            mac=row.mac,
                        )
                    )
                return entries

            problems = verify_chain(
                keys, chain(), head_seq=tenant.audit_seq, head_mac=tenant.audit_head
            )
        return VerifyReport(tenant_id=tenant_id, entries=count, problems=problems)
