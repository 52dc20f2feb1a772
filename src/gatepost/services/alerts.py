"""AlertService: the alerts access decisions raised, listed and acknowledged.

Alerts are written by the arrival pipeline with their event (``ArrivalSteps``); this
service lists them (open or acknowledged, by kind and site, newest first) and
acknowledges one with a note. The note is free text and so is sealed with the tenant's
key; the acknowledgement is audited and queues ``alert.acknowledged``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from gatepost.domain.alerts import AlertRecord, AlertState
from gatepost.domain.decisions import AlertKind
from gatepost.domain.ports import Clock
from gatepost.domain.webhooks import NotificationType
from gatepost.errors import Conflict, NotFound, ValidationFailed
from gatepost.security.policy import Principal
from gatepost.services.audit import AuditRecord
from gatepost.services.notifications import Notifications, alert_data
from gatepost.services.pages import Page, parse_time_cursor, time_cursor
from gatepost.services.uow import Transactions, UnitOfWork

if TYPE_CHECKING:
    from gatepost.store.repositories.alerts import StoredAlert

__all__ = ["AlertFilter", "AlertService", "NOTE_MAX"]

NOTE_MAX = 500
_TABLE, _NOTE_COLUMN = "alerts", "acknowledged_note"
_KINDS = {kind.value for kind in AlertKind}


@dataclass(frozen=True)
class AlertFilter:
    state: str | None = None
    """``open``, ``acknowledged`` or None (both)."""
    kind: str | None = None
    site_id: str | None = None


def _opened(uow: UnitOfWork, stored: StoredAlert) -> AlertRecord:
    record = stored.record
    if stored.note_sealed is None:
        return record
    note = uow.keys(record.tenant_id).open_text(
        stored.note_sealed, table=_TABLE, column=_NOTE_COLUMN, row_id=record.id
    )
    return replace(record, acknowledged_note=note)


def _checked_note(note: str) -> str:
    note = note.strip()
    if not note:
        raise ValidationFailed("note is required: say what was done", field="note")
    if len(note) > NOTE_MAX:
        raise ValidationFailed(
            "note is longer than %(max)s characters", field="note", params={"max": NOTE_MAX}
        )
    return note


class AlertService:
    def __init__(self, *, tx: Transactions, clock: Clock, notifications: Notifications) -> None:
        self._tx = tx
        self._clock = clock
        self._notifications = notifications

    def list(
        self, principal: Principal, *, limit: int, cursor: str | None, where: AlertFilter
    ) -> Page[AlertRecord]:
        if where.state is not None and where.state not in AlertState.ALL:
            raise ValidationFailed("state is open or acknowledged", field="state")
        if where.kind is not None and where.kind not in _KINDS:
            raise ValidationFailed(
                "kind is one of %(kinds)s",
                field="kind",
                params={"kinds": ", ".join(sorted(_KINDS))},
            )
        with self._tx.read() as uow:
            rows = uow.alerts.list(
                tenant_id=principal.tenant_id,
                limit=limit + 1,
                before=parse_time_cursor(cursor) if cursor else None,
                state=where.state,
                kind=where.kind,
                site_id=where.site_id,
            )
            items = [_opened(uow, row) for row in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = items[-1]
            next_cursor = time_cursor(last.raised_at, last.id)
        return Page(items, next_cursor, limit)

    def get(self, principal: Principal, alert_id: str) -> AlertRecord:
        with self._tx.read() as uow:
            stored = uow.alerts.get(tenant_id=principal.tenant_id, alert_id=alert_id)
            if stored is None:
                raise NotFound("alert")
            return _opened(uow, stored)

    def count_open(self, principal: Principal) -> int:
        with self._tx.read() as uow:
            return uow.alerts.count_open(tenant_id=principal.tenant_id)

    def acknowledge(self, principal: Principal, alert_id: str, *, note: str) -> AlertRecord:
        """Acknowledge an open alert with a note (required); Conflict if it was
        acknowledged already. Audited, and ``alert.acknowledged`` is queued."""
        note = _checked_note(note)
        now = self._clock.now()
        tenant_id = principal.tenant_id
        with self._tx.write() as uow:
            stored = uow.alerts.get(tenant_id=tenant_id, alert_id=alert_id)
            if stored is None:
                raise NotFound("alert")
            sealed = uow.keys(tenant_id).seal_text(
                note, table=_TABLE, column=_NOTE_COLUMN, row_id=alert_id
            )
            if not uow.alerts.acknowledge(
                tenant_id=tenant_id,
                alert_id=alert_id,
                at=now,
                by=principal.actor,
                note_sealed=sealed,
            ):
                raise Conflict("the alert is acknowledged already")
            record = replace(
                stored.record,
                acknowledged_at=now,
                acknowledged_by=principal.actor,
                acknowledged_note=note,
            )
            uow.audit(
                tenant_id,
                AuditRecord(
                    actor=principal.actor,
                    action="alert.acknowledged",
                    target=f"alert:{alert_id}",
                    details={"kind": record.kind.value},
                ),
            )
            self._notifications.enqueue(
                uow, tenant_id, NotificationType.ALERT_ACKNOWLEDGED, alert_data(record)
            )
        return record
