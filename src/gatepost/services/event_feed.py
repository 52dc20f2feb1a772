"""EventFeedService: a tenant's events as they arrive, for the live view.

The feed reads the events table (so it sees what every process stored: API workers,
MQTT gateway workers) in arrival order, ``(received_at, id)``. A transaction may commit
a moment after one that was stamped later, so each poll reads again from
:data:`OVERLAP` before the newest arrival seen and a :class:`FeedCursor` drops what it
has handed out already. A position (``<received_at>|<id>``, the SSE event id) lets a
client that reconnects resume after the last event it got; it may see the last few
again and drops them by id.

Items carry codes (outcome, reasons, alerts, the remote command) and the names an
operator reads (site, device, access point), never a person's name or a credential.

Only gatepost's own records speak for gatepost. The command and the remote reasons are
read from server kinds only (``SERVER_EVENT_KINDS``, which devices cannot post); the
arrival, outcome, reasons and alerts from access events that carry an ``outcome``,
which only the arrival pipeline writes (devices cannot post the reserved data keys,
``services.events``), and only as known codes. Anything else is a plain device event:
its kind, time and place, none of its data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from gatepost.domain.decisions import AlertKind, Reason
from gatepost.domain.devices import SERVER_EVENT_KINDS, EventKind
from gatepost.domain.ports import Clock
from gatepost.security.policy import Principal
from gatepost.services.uow import Transactions
from gatepost.store.repositories.event_feed import FeedRow

__all__ = [
    "EventFeedService",
    "FeedCursor",
    "FeedItem",
    "MAX_RESUME",
    "OVERLAP",
    "feed_item",
    "parse_position",
]

OVERLAP = timedelta(seconds=5)
"""How far back each poll reads before the newest arrival seen: longer than any write
transaction that stores an event takes to commit."""
MAX_RESUME = timedelta(minutes=10)
"""How far back a reconnecting client may resume: a ``Last-Event-ID`` older than this
(or in the future) resumes from this long ago (from now), so a stale or forged position
cannot make one request read hours of events."""
PAGE = 200
MAX_POLL = 1000


@dataclass(frozen=True)
class FeedItem:
    id: str
    position: str
    kind: EventKind
    occurred_at: datetime
    received_at: datetime
    site_id: str
    site_name: str
    device_name: str
    access_point_name: str | None
    arrival: str | None
    outcome: str | None
    reasons: tuple[str, ...]
    alerts: tuple[str, ...]
    command: str | None


_DECISION_KINDS = frozenset({EventKind.ACCESS_GRANTED, EventKind.ACCESS_DENIED})
_DECISION_REASONS = frozenset(reason.value for reason in Reason)
_ALERTS = frozenset(alert.value for alert in AlertKind)
_REMOTE_REASONS = frozenset({"remote_open", "remote_lockdown", "remote_release"})


def _codes(value: object, known: frozenset[str]) -> tuple[str, ...]:
    return tuple(code for code in str(value or "").split(",") if code in known)


def feed_item(row: FeedRow) -> FeedItem:
    """What the feed shows of one stored event (see the module doc on whose word it
    takes)."""
    event, data = row.event, row.event.data
    received = event.received_at.astimezone(UTC)
    decided = event.kind in _DECISION_KINDS and "outcome" in data
    remote = event.kind in SERVER_EVENT_KINDS
    if decided:
        reasons = _codes(data.get("reasons"), _DECISION_REASONS)
    elif remote:
        reasons = _codes(data.get("reasons"), _REMOTE_REASONS)
    else:
        reasons = ()
    return FeedItem(
        id=event.id,
        position=f"{received.isoformat()}|{event.id}",
        kind=event.kind,
        occurred_at=event.occurred_at,
        received_at=received,
        site_id=event.site_id,
        site_name=row.site_name,
        device_name=row.device_name,
        access_point_name=row.access_point_name,
        arrival=str(data["arrival"]) if decided and "arrival" in data else None,
        outcome=str(data["outcome"]) if decided else None,
        reasons=reasons,
        alerts=_codes(data.get("alerts"), _ALERTS) if decided else (),
        command=str(data["command"]) if remote and "command" in data else None,
    )


def parse_position(text: str | None) -> datetime | None:
    """The arrival time of a position (``<received_at>|<id>``); None if it is not one."""
    if not text:
        return None
    stamp, _, _ = text.partition("|")
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


@dataclass
class FeedCursor:
    """Where one client's feed stands: the newest arrival seen and the ids handed out
    within :data:`OVERLAP` of it."""

    newest: datetime
    seen: dict[str, datetime] = field(default_factory=dict)

    @property
    def read_from(self) -> datetime:
        return self.newest - OVERLAP

    def take(self, items: list[FeedItem]) -> list[FeedItem]:
        """The items not handed out yet, remembered; forgets ids too old to recur."""
        fresh = [item for item in items if item.id not in self.seen]
        for item in fresh:
            self.seen[item.id] = item.received_at
            self.newest = max(self.newest, item.received_at)
        cutoff = self.read_from
        self.seen = {key: at for key, at in self.seen.items() if at >= cutoff}
        return fresh


class EventFeedService:
    def __init__(self, *, tx: Transactions, clock: Clock) -> None:
        self._tx = tx
        self._clock = clock

    def opening(
        self, principal: Principal, *, site_id: str | None = None, backlog: int = 20
    ) -> tuple[list[FeedItem], FeedCursor]:
        """The latest ``backlog`` events (oldest first) and a cursor after them."""
        with self._tx.read() as uow:
            rows = uow.event_feed.latest(
                tenant_id=principal.tenant_id, limit=backlog, site_id=site_id
            )
        items = [feed_item(row) for row in reversed(rows)]
        cursor = FeedCursor(self._clock.now())
        if items:
            cursor = FeedCursor(min(cursor.newest, items[-1].received_at))
        cursor.take(items)
        return items, cursor

    def resume(self, position: datetime) -> FeedCursor:
        """A cursor for a client that got everything up to ``position``, kept within
        :data:`MAX_RESUME` before now (and not after now)."""
        now = self._clock.now()
        return FeedCursor(min(max(position, now - MAX_RESUME), now))

    def poll(
        self, principal: Principal, cursor: FeedCursor, *, site_id: str | None = None
    ) -> list[FeedItem]:
        """Events that arrived since the cursor's last look, oldest first (advances it);
        at most :data:`MAX_POLL`, the rest comes with the next poll."""
        rows: list[FeedRow] = []
        since, after_id = cursor.read_from, None
        with self._tx.committed() as uow:
            while len(rows) < MAX_POLL:
                page = uow.event_feed.received_since(
                    tenant_id=principal.tenant_id,
                    since=since,
                    after_id=after_id,
                    limit=PAGE,
                    site_id=site_id,
                )
                rows += page
                if len(page) < PAGE:
                    break
                since, after_id = page[-1].event.received_at, page[-1].event.id
        return cursor.take([feed_item(row) for row in rows])
