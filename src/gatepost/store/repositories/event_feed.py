"""The live event feed's read: a tenant's events in the order they arrived, with the
names an operator reads them by (site, device, the device's access point).

Ordered by ``(received_at, id)`` on the ``(tenant_id, received_at)`` index. A row may
commit a moment after a later-stamped one, so the caller reads from a little before its
last position and drops what it has sent already (``services.event_feed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from gatepost.domain.devices import EventKind
from gatepost.domain.events import Event as EventRecord
from gatepost.store.tables import AccessPoint, Event, Site
from gatepost.store.tables import Device as DeviceRow

__all__ = ["EventFeedRepository", "FeedRow"]

# An event with its device's, access point's and site's names (outer joins: the names
# of a point or site may be missing, and are then None).
_FeedQuery = Select[Event, str, str, str]


@dataclass(frozen=True)
class FeedRow:
    event: EventRecord
    site_name: str
    device_name: str
    access_point_name: str | None


class EventFeedRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _query(self, *, tenant_id: str, site_id: str | None) -> _FeedQuery:
        query = (
            select(Event, DeviceRow.name, AccessPoint.name, Site.name)
            .join(
                DeviceRow,
                and_(DeviceRow.tenant_id == Event.tenant_id, DeviceRow.id == Event.device_id),
            )
            .outerjoin(Site, and_(Site.tenant_id == Event.tenant_id, Site.id == Event.site_id))
            .outerjoin(
                AccessPoint,
                and_(
                    AccessPoint.tenant_id == DeviceRow.tenant_id,
                    AccessPoint.id == DeviceRow.access_point_id,
                ),
            )
            .where(Event.tenant_id == tenant_id)
        )
        return query.where(Event.site_id == site_id) if site_id else query

    def received_since(
        self,
        *,
        tenant_id: str,
        since: datetime,
        limit: int,
        after_id: str | None = None,
        site_id: str | None = None,
    ) -> list[FeedRow]:
        """Events received at or after ``since`` (with ``after_id``: after the event
        ``(since, after_id)``), oldest first, at most ``limit``."""
        query = self._query(tenant_id=tenant_id, site_id=site_id)
        if after_id is None:
            query = query.where(Event.received_at >= since)
        else:
            query = query.where(
                or_(
                    Event.received_at > since,
                    and_(Event.received_at == since, Event.id > after_id),
                )
            )
        return self._rows(query.order_by(Event.received_at, Event.id).limit(limit))

    def latest(self, *, tenant_id: str, limit: int, site_id: str | None = None) -> list[FeedRow]:
        """The ``limit`` events received last, newest first."""
        query = self._query(tenant_id=tenant_id, site_id=site_id)
        return self._rows(query.order_by(Event.received_at.desc(), Event.id.desc()).limit(limit))

    def _rows(self, query: _FeedQuery) -> list[FeedRow]:
        rows = []
        for event, device_name, point_name, site_name in self._session.execute(query):
            record = EventRecord(
                tenant_id=event.tenant_id,
                id=event.id,
                site_id=event.site_id,
                device_id=event.device_id,
                kind=EventKind(event.kind),
                occurred_at=event.occurred_at,
                received_at=event.received_at,
                idempotency_key=event.idempotency_key,
                person_id=event.person_id,
                snapshot_id=event.snapshot_id,
                data=dict(event.data),
            )
            rows.append(FeedRow(record, site_name or "", device_name, point_name))
        return rows
