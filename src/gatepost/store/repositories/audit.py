"""The audit log's entries (rows in, ``security.audit_chain.ChainEntry`` out).

Entries are only ever appended: the table refuses UPDATE and DELETE (triggers), and
this repository offers neither. The chain's head (last sequence and MAC) lives on the
tenant row: see ``TenantRepository.lock_audit_head``.

Rows are read as the driver returns them and checked field by field, so a row someone
broke by writing to the database directly comes back as an ``UnreadableEntry`` naming
what is wrong, instead of failing the whole read (a listing or a verification).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, Select, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from gatepost.security.audit_chain import ChainEntry, UnreadableEntry
from gatepost.store.tables import AuditEntry

__all__ = ["AuditRepository"]

_TEXT_FIELDS = ("actor", "action", "purpose", "target", "outcome")
_MAC_BYTES = 32


def _raw_rows() -> Select[*tuple[Any, ...]]:
    """The entry columns as the driver returns them (no type processing that could
    raise on a malformed value)."""
    columns = AuditEntry.__table__.c
    names = ("seq", "at", *_TEXT_FIELDS, "details", "prev_mac", "mac")
    return select(*(type_coerce(columns[name], NullType()).label(name) for name in names))


def _mac(raw: object) -> bytes | None:
    value = bytes(raw) if isinstance(raw, bytes | bytearray | memoryview) else None
    return value if value is not None and len(value) == _MAC_BYTES else None


def _at(raw: object) -> datetime | None:
    """A stored timestamp (naive UTC: a datetime from PostgreSQL, text from SQLite)."""
    if isinstance(raw, str):
        try:
            raw = datetime.fromisoformat(raw)
        except ValueError:
            return None
    if not isinstance(raw, datetime):
        return None
    return raw.replace(tzinfo=UTC) if raw.tzinfo is None else raw.astimezone(UTC)


def _details(raw: object) -> dict[str, str] | None:
    """Stored details: a JSON object of text values (text on SQLite, parsed on PostgreSQL)."""
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    if not isinstance(raw, dict):
        return None
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        return None
    return dict(raw)


def _entry(row: Row[Any]) -> ChainEntry | UnreadableEntry:
    """One stored row, or what is wrong with it (the field named, never its content)."""
    seq = row.seq if isinstance(row.seq, int) and not isinstance(row.seq, bool) else None
    prev_mac, mac = _mac(row.prev_mac), _mac(row.mac)
    at, details = _at(row.at), _details(row.details)
    actor, action, purpose, target, outcome = texts = [getattr(row, n) for n in _TEXT_FIELDS]

    def unreadable(problem: str) -> UnreadableEntry:
        return UnreadableEntry(seq=seq, problem=problem, prev_mac=prev_mac, mac=mac)

    if seq is None:
        return unreadable("its sequence number is not a whole number")
    if at is None:
        return unreadable("its time is not a valid timestamp")
    if details is None:
        return unreadable("its details are not a JSON object of text values")
    if not all(isinstance(value, str) for value in texts):
        return unreadable("its actor, action, purpose, target or outcome is not text")
    if prev_mac is None or mac is None:
        return unreadable("its MACs are not 32-byte values")
    return ChainEntry(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        purpose=purpose,
        target=target,
        outcome=outcome,
        details=details,
        prev_mac=prev_mac,
        mac=mac,
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

    def chain(self, *, tenant_id: str) -> Iterator[ChainEntry | UnreadableEntry]:
        """Every entry of the tenant, oldest first (streamed, for verification)."""
        query = (
            _raw_rows()
            .where(AuditEntry.tenant_id == tenant_id)
            .order_by(AuditEntry.seq)
            .execution_options(yield_per=1000)
        )
        for row in self._session.execute(query):
            yield _entry(row)

    def list(
        self,
        *,
        tenant_id: str,
        limit: int,
        before_seq: int | None = None,
        action: str | None = None,
        actor: str | None = None,
    ) -> list[ChainEntry | UnreadableEntry]:
        """Newest first, below ``before_seq`` when given, optionally of one action or actor."""
        query = (
            _raw_rows()
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
        return [_entry(row) for row in self._session.execute(query)]

    def latest(
        self, *, tenant_id: str, actor: str, action: str, target: str, since: datetime
    ) -> ChainEntry | None:
        """The newest entry of ``actor``'s ``action`` on ``target`` written at or after
        ``since``; None when there is none or it is unreadable (a look within the
        ``(tenant_id, at)`` index)."""
        query = (
            _raw_rows()
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
        row = self._session.execute(query).first()
        entry = None if row is None else _entry(row)
        return entry if isinstance(entry, ChainEntry) else None
