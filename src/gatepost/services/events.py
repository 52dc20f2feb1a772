"""EventService: idempotent ingestion of device events and filtered listing.

A device posts events carrying its own idempotency key and timestamp; the same key
from the same device is stored once however often it arrives (SECURITY.md 33). Device
clocks are checked against the server clock (future skew, offline backlog). Event data
holds codes and numbers only: personal data never goes into ``data``.

A device cannot dress its events up as gatepost's own: the server kinds (remote
commands) are refused, and so are the data keys the arrival pipeline and the remote
commands write (:data:`RESERVED_DATA_KEYS`: the outcome, reasons, alerts, command,
actor and arrival kind that the live feed and exports read as gatepost's word).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from gatepost.domain.devices import SERVER_EVENT_KINDS, EventKind, clock_problem
from gatepost.domain.events import Event
from gatepost.domain.ports import Clock
from gatepost.errors import AuthenticationFailed, NotFound, ValidationFailed
from gatepost.security.policy import Principal, PrincipalKind
from gatepost.services.pages import Page, parse_time_cursor, time_cursor
from gatepost.services.uow import Transactions
from gatepost.store.ids import is_id, new_id

__all__ = [
    "EventDraft",
    "EventFilter",
    "EventService",
    "IngestResult",
    "MAX_BATCH",
    "RESERVED_DATA_KEYS",
]

MAX_BATCH = 1000
_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_KINDS = {kind.value for kind in EventKind if kind not in SERVER_EVENT_KINDS}
RESERVED_DATA_KEYS = frozenset({"actor", "alerts", "arrival", "command", "outcome", "reasons"})
"""Data keys only gatepost writes (decisions and remote commands); a device may not."""


@dataclass(frozen=True)
class EventDraft:
    idempotency_key: str
    kind: str
    occurred_at: datetime
    person_id: str | None = None
    snapshot_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IngestResult:
    idempotency_key: str
    event_id: str | None
    stored: bool


@dataclass(frozen=True)
class EventFilter:
    site_id: str | None = None
    device_id: str | None = None
    person_id: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _check_data(data: dict[str, Any], index: int) -> None:
    if len(data) > 32:
        raise ValidationFailed(
            "events[%(index)s].data has more than 32 keys", field="data", params={"index": index}
        )
    for key, value in data.items():
        if not _KEY.match(key):
            raise ValidationFailed(
                "events[%(index)s].data key %(key)r is not allowed",
                field="data",
                params={"index": index, "key": key},
            )
        if key in RESERVED_DATA_KEYS:
            raise ValidationFailed(
                "events[%(index)s].data key %(key)r is reserved for gatepost's own records",
                field="data",
                params={"index": index, "key": key},
            )
        if not isinstance(value, (str, int, float, bool)) or (
            isinstance(value, str) and len(value) > 200
        ):
            raise ValidationFailed(
                "events[%(index)s].data[%(key)r] must be a number, boolean or short string",
                field="data",
                params={"index": index, "key": key},
            )


class EventService:
    def __init__(
        self, *, tx: Transactions, clock: Clock, max_skew: timedelta, max_backlog: timedelta
    ) -> None:
        self._tx = tx
        self._clock = clock
        self._max_skew = max_skew
        self._max_backlog = max_backlog

    def ingest(self, principal: Principal, drafts: Sequence[EventDraft]) -> list[IngestResult]:
        """Store a device's events; duplicates (same idempotency key) are reported, not stored."""
        if principal.kind is not PrincipalKind.DEVICE:
            raise AuthenticationFailed("only devices post events")
        if not 1 <= len(drafts) <= MAX_BATCH:
            raise ValidationFailed(
                "send 1-%(max)s events at a time", field="events", params={"max": MAX_BATCH}
            )
        now = self._clock.now()
        keys_seen: set[str] = set()
        for index, draft in enumerate(drafts):
            if not _KEY.match(draft.idempotency_key):
                raise ValidationFailed(
                    "events[%(index)s].idempotency_key must be 1-64 of A-Z a-z 0-9 . _ : -",
                    field="idempotency_key",
                    params={"index": index},
                )
            if draft.idempotency_key in keys_seen:
                raise ValidationFailed(
                    "events[%(index)s].idempotency_key repeats in this batch",
                    field="idempotency_key",
                    params={"index": index},
                )
            keys_seen.add(draft.idempotency_key)
            if draft.kind not in _KINDS:
                raise ValidationFailed(
                    "events[%(index)s].kind %(kind)r is unknown",
                    field="kind",
                    params={"index": index, "kind": draft.kind},
                )
            problem = clock_problem(
                occurred_at=draft.occurred_at,
                now=now,
                max_skew=self._max_skew,
                max_backlog=self._max_backlog,
            )
            if problem:
                raise ValidationFailed(
                    "events[%(index)s].occurred_at: %(problem)s",
                    field="occurred_at",
                    params={"index": index, "problem": problem},
                )
            _check_data(draft.data, index)
        tenant_id = principal.tenant_id
        person_ids = {d.person_id for d in drafts if d.person_id}
        media_ids = {d.snapshot_id for d in drafts if d.snapshot_id}
        for ids, name in ((person_ids, "person_id"), (media_ids, "snapshot_id")):
            if any(not is_id(i) for i in ids):
                raise ValidationFailed(
                    "%(field)s is not a valid id", field=name, params={"field": name}
                )
        with self._tx.write() as uow:
            device = uow.devices.get(tenant_id=tenant_id, device_id=principal.id)
            if device is None or device.revoked:
                raise AuthenticationFailed()
            for name, wanted, found in (
                (
                    "person_id",
                    person_ids,
                    uow.persons.existing_ids(tenant_id=tenant_id, person_ids=person_ids),
                ),
                (
                    "snapshot_id",
                    media_ids,
                    uow.media.existing_ids(tenant_id=tenant_id, media_ids=media_ids),
                ),
            ):
                if missing := wanted - set(found):
                    raise ValidationFailed(
                        "%(field)s %(id)s does not exist",
                        field=name,
                        params={"field": name, "id": sorted(missing)[0]},
                    )
            events: list[dict[str, Any]] = [
                {
                    "id": new_id(),
                    "kind": d.kind,
                    "occurred_at": d.occurred_at,
                    "idempotency_key": d.idempotency_key,
                    "person_id": d.person_id,
                    "snapshot_id": d.snapshot_id,
                    "data": d.data,
                }
                for d in drafts
            ]
            stored = uow.events.insert(
                tenant_id=tenant_id,
                site_id=device.site_id,
                device_id=device.id,
                received_at=now,
                events=events,
            )
        results = []
        for row in events:
            key: str = row["idempotency_key"]
            event_id: str = row["id"]
            results.append(
                IngestResult(
                    idempotency_key=key,
                    event_id=event_id if key in stored else None,
                    stored=key in stored,
                )
            )
        return results

    def count(self, principal: Principal, *, since: datetime | None = None) -> int:
        with self._tx.read() as uow:
            return uow.events.count(tenant_id=principal.tenant_id, since=since)

    def get(self, principal: Principal, event_id: str) -> Event:
        with self._tx.read() as uow:
            event = uow.events.get(tenant_id=principal.tenant_id, event_id=event_id)
        if event is None:
            raise NotFound("event")
        return event

    def list(
        self, principal: Principal, *, limit: int, cursor: str | None, where: EventFilter
    ) -> Page[Event]:
        with self._tx.read() as uow:
            rows = uow.events.list(
                tenant_id=principal.tenant_id,
                limit=limit + 1,
                before=parse_time_cursor(cursor) if cursor else None,
                site_id=where.site_id,
                device_id=where.device_id,
                person_id=where.person_id,
                kind=where.kind,
                since=where.since,
                until=where.until,
            )
        next_cursor = None
        if len(rows) > limit:
            next_cursor = time_cursor(rows[limit - 1].occurred_at, rows[limit - 1].id)
        return Page(list(rows[:limit]), next_cursor, limit)
