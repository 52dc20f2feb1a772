"""The append-only event store: idempotent batch inserts and filtered listing
(rows in, ``domain.events.Event`` out)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from gatepost.domain.devices import EventKind
from gatepost.domain.events import Event as EventRecord
from gatepost.store.repositories._timeline import newest_first
from gatepost.store.tables import Event
from gatepost.store.types import UTCDateTime

__all__ = ["EventRepository"]

_EVENTS = cast(Table, Event.__table__)

# PostgreSQL: the whole batch is one JSON parameter that the server expands, so the
# statement text stays small and constant (psycopg re-parses statements over 4 KiB on
# every execution, and a 500-row VALUES list has 5,500 placeholders).
_PG_INSERT = text(
    "INSERT INTO events (tenant_id, id, site_id, device_id, kind, occurred_at,"
    " received_at, idempotency_key, person_id, snapshot_id, data)"
    " SELECT :tenant_id, e.id, :site_id, :device_id, e.kind, e.occurred_at,"
    " :received_at, e.idempotency_key, e.person_id, e.snapshot_id, e.data"
    " FROM json_to_recordset(CAST(:events AS json)) AS e(id varchar, kind varchar,"
    " occurred_at timestamp, idempotency_key varchar, person_id varchar,"
    " snapshot_id varchar, data json)"
    " ON CONFLICT (tenant_id, device_id, idempotency_key) DO NOTHING"
    " RETURNING idempotency_key"
).bindparams(bindparam("received_at", type_=UTCDateTime()))


def _utc_text(value: datetime) -> str:
    """An aware datetime as UTCDateTime stores it (naive UTC), in ISO text."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def _event(row: Event) -> EventRecord:
    return EventRecord(
        tenant_id=row.tenant_id,
        id=row.id,
        site_id=row.site_id,
        device_id=row.device_id,
        kind=EventKind(row.kind),
        occurred_at=row.occurred_at,
        received_at=row.received_at,
        idempotency_key=row.idempotency_key,
        person_id=row.person_id,
        snapshot_id=row.snapshot_id,
        data=dict(row.data),
    )


# Pre-built statements of the arrival pipeline's hot path (bound per call): built once,
# their SQL compiled and cached once, instead of on every arrival (docs/access.md).
_BY_KEY = select(Event).where(
    Event.tenant_id == bindparam("tenant_id"),
    Event.device_id == bindparam("device_id"),
    Event.idempotency_key == bindparam("key"),
)


class EventRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def insert(
        self,
        *,
        tenant_id: str,
        site_id: str,
        device_id: str,
        received_at: datetime,
        events: Sequence[dict[str, Any]],
    ) -> set[str]:
        """Insert one device's events, skipping (tenant, device, idempotency key) already stored.

        Each event carries ``id``, ``kind``, ``occurred_at``, ``idempotency_key``,
        ``person_id``, ``snapshot_id`` and ``data``. Returns the idempotency keys that were
        newly stored.
        """
        if not events:
            return set()
        if self._session.get_bind().dialect.name == "postgresql":
            payload = [{**e, "occurred_at": _utc_text(e["occurred_at"])} for e in events]
            params = {
                "tenant_id": tenant_id,
                "site_id": site_id,
                "device_id": device_id,
                "received_at": received_at,
                "events": json.dumps(payload),
            }
            return set(self._session.scalars(_PG_INSERT, params).all())
        # A Core insert on the Table. The ORM-enabled insert(Event) drops None values row by
        # row and starts a new statement wherever the set of keys changes (person_id set or
        # not), so a 500-event batch became hundreds of INSERTs whose RETURNING results were
        # then spliced together quadratically.
        statement = (
            sqlite_insert(_EVENTS)
            .on_conflict_do_nothing(index_elements=["tenant_id", "device_id", "idempotency_key"])
            .returning(_EVENTS.c.idempotency_key)
        )
        rows = [
            {
                "tenant_id": tenant_id,
                "site_id": site_id,
                "device_id": device_id,
                "received_at": received_at,
                **e,
            }
            for e in events
        ]
        return set(self._session.scalars(statement, rows).all())

    def count(self, *, tenant_id: str, since: datetime | None = None) -> int:
        query = select(func.count()).select_from(Event).where(Event.tenant_id == tenant_id)
        if since is not None:
            query = query.where(Event.occurred_at >= since)
        return int(self._session.scalar(query) or 0)

    def by_key(self, *, tenant_id: str, device_id: str, idempotency_key: str) -> EventRecord | None:
        """The device's event stored under its idempotency key, if any."""
        params = {"tenant_id": tenant_id, "device_id": device_id, "key": idempotency_key}
        row = self._session.scalars(_BY_KEY, params).one_or_none()
        return _event(row) if row is not None else None

    def get(self, *, tenant_id: str, event_id: str) -> EventRecord | None:
        row = self._session.get(Event, (tenant_id, event_id))
        return _event(row) if row is not None else None

    def list(
        self,
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
    ) -> Sequence[EventRecord]:
        """Newest first, keyset-paginated on (occurred_at, id)."""
        query = newest_first(
            Event,
            tenant_id=tenant_id,
            limit=limit,
            before=before,
            since=since,
            until=until,
            equal={
                "site_id": site_id or None,
                "device_id": device_id or None,
                "person_id": person_id or None,
                "kind": kind or None,
            },
        )
        return [_event(row) for row in self._session.scalars(query)]
