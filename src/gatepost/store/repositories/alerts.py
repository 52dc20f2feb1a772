"""Alerts as records: inserted with their event, listed newest first (keyset on
``(raised_at, id)``), acknowledged once (rows in, ``domain.alerts.AlertRecord`` out)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gatepost.domain.alerts import AlertRecord, AlertState
from gatepost.domain.decisions import AlertKind, Severity
from gatepost.store.tables import AlertRow

__all__ = ["AlertRepository", "StoredAlert"]


class StoredAlert:
    """An alert as stored: the record (its note not yet opened) and the sealed note."""

    __slots__ = ("note_sealed", "record")

    def __init__(self, record: AlertRecord, note_sealed: bytes | None) -> None:
        self.record = record
        self.note_sealed = note_sealed


def _stored(row: AlertRow) -> StoredAlert:
    record = AlertRecord(
        tenant_id=row.tenant_id,
        id=row.id,
        site_id=row.site_id,
        access_point_id=row.access_point_id,
        event_id=row.event_id,
        kind=AlertKind(row.kind),
        severity=Severity(row.severity),
        silent=row.silent,
        person_id=row.person_id,
        vehicle_id=row.vehicle_id,
        raised_at=row.raised_at,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        acknowledged_note=None,
    )
    return StoredAlert(record, row.acknowledged_note_sealed)


class AlertRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, alert: AlertRecord) -> None:
        """Insert an open alert (written in the transaction of its event)."""
        self._session.add(
            AlertRow(
                tenant_id=alert.tenant_id,
                id=alert.id,
                site_id=alert.site_id,
                access_point_id=alert.access_point_id,
                event_id=alert.event_id,
                kind=alert.kind.value,
                severity=alert.severity.value,
                silent=alert.silent,
                person_id=alert.person_id,
                vehicle_id=alert.vehicle_id,
                raised_at=alert.raised_at,
            )
        )
        self._session.flush()

    def get(self, *, tenant_id: str, alert_id: str) -> StoredAlert | None:
        row = self._session.get(AlertRow, (tenant_id, alert_id))
        return _stored(row) if row is not None else None

    def list(
        self,
        *,
        tenant_id: str,
        limit: int,
        before: tuple[datetime, str] | None = None,
        state: str | None = None,
        kind: str | None = None,
        site_id: str | None = None,
    ) -> Sequence[StoredAlert]:
        """Newest first, keyset-paginated on (raised_at, id)."""
        query = (
            select(AlertRow)
            .where(AlertRow.tenant_id == tenant_id)
            .order_by(AlertRow.raised_at.desc(), AlertRow.id.desc())
            .limit(limit)
        )
        if before is not None:
            at, row_id = before
            query = query.where(
                (AlertRow.raised_at < at) | ((AlertRow.raised_at == at) & (AlertRow.id < row_id))
            )
        if state == AlertState.OPEN:
            query = query.where(AlertRow.acknowledged_at.is_(None))
        elif state == AlertState.ACKNOWLEDGED:
            query = query.where(AlertRow.acknowledged_at.is_not(None))
        if kind:
            query = query.where(AlertRow.kind == kind)
        if site_id:
            query = query.where(AlertRow.site_id == site_id)
        return [_stored(row) for row in self._session.scalars(query)]

    def acknowledge(
        self, *, tenant_id: str, alert_id: str, at: datetime, by: str, note_sealed: bytes
    ) -> bool:
        """Mark an open alert acknowledged; False when it is not open (or not there).
        One conditional UPDATE, so two operators acknowledging at once cannot both win."""
        result = self._session.execute(
            update(AlertRow)
            .where(
                AlertRow.tenant_id == tenant_id,
                AlertRow.id == alert_id,
                AlertRow.acknowledged_at.is_(None),
            )
            .values(acknowledged_at=at, acknowledged_by=by, acknowledged_note_sealed=note_sealed)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    def count_open(self, *, tenant_id: str) -> int:
        query = (
            select(func.count())
            .select_from(AlertRow)
            .where(AlertRow.tenant_id == tenant_id, AlertRow.acknowledged_at.is_(None))
        )
        return int(self._session.scalar(query) or 0)
