"""A device's unanswered arrivals, in order: kept while it is offline, replayed, resent.

:class:`Backlog` is the buffer of docs/devices.md ("a device keeps each arrival until it
has the gateway's answer ... and sends it again, with the same idempotency key, after
it reconnects"). Each :class:`Pending` arrival keeps the exact bytes first built (its
``device_time`` and idempotency key never change, so the server recognises a resend and
answers the stored decision). The backlog is bounded: adding to a full one drops the
oldest (the caller counts it). :meth:`Backlog.due` says what to publish now: within the
first ``window`` arrivals (all when ``None``), those not yet sent on this connection and
those sent longer than ``resend_after`` ago without an answer. Every copy is harmless:
the server stores one decision per idempotency key, a frame's too. An arrival may be
sent at most ``max_sends`` times (frames: a frame with no face or plate in it decides
nothing, so no answer ever comes); one still unanswered after its last send is given
up. Time is a parameter; nothing here reads a clock or locks: the device owns both.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = ["Backlog", "Pending", "Send"]


class Send(StrEnum):
    """Why an arrival is published."""

    FIRST = "first"
    REPLAY = "replayed"
    RESEND = "resent"
    GIVE_UP = "unanswered"
    """An arrival sent ``max_sends`` times (a frame) whose answer did not come: taken
    out, not sent again."""


@dataclass
class Pending:
    """One arrival waiting for its answer."""

    key: str
    kind: str
    payload: bytes
    device_time: datetime
    start: float
    """``time.perf_counter()`` at which its latency starts (scheduled or actual send)."""
    sends: int = 0
    """How often it was handed to the transport, reconnects and resends included."""
    sent_at: float | None = None
    """Monotonic time of its last send on the current connection (None: not sent on it)."""
    max_sends: int | None = None
    """Send it at most this often (None: until answered), then give it up when its
    answer does not come (a frame with nobody in it gets none)."""

    @property
    def spent(self) -> bool:
        """Sent as often as it may be."""
        return self.max_sends is not None and self.sends >= self.max_sends


class Backlog:
    """Ordered, bounded pending arrivals (see the module doc)."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._items: deque[Pending] = deque()

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Pending]:
        return iter(self._items)

    def add(self, pending: Pending) -> Pending | None:
        """Append ``pending``; the oldest arrival dropped to make room, if any."""
        dropped = self._items.popleft() if len(self._items) >= self.capacity else None
        self._items.append(pending)
        return dropped

    def head(self) -> Pending | None:
        """The oldest arrival still waiting."""
        return self._items[0] if self._items else None

    def pop_head(self) -> Pending:
        return self._items.popleft()

    def remove(self, key: str) -> Pending | None:
        """Take out the arrival with ``key`` (a refusal names it); None if not here."""
        for pending in self._items:
            if pending.key == key:
                self._items.remove(pending)
                return pending
        return None

    def clear(self) -> None:
        self._items.clear()

    def disconnected(self) -> None:
        """The connection went: nothing counts as sent on the next one."""
        for pending in self._items:
            pending.sent_at = None

    def expire(self, cutoff: datetime) -> list[Pending]:
        """Take out the oldest arrivals while their ``device_time`` is before ``cutoff``
        (the server refuses them as stale; arrivals are added in time order)."""
        old: list[Pending] = []
        while self._items and self._items[0].device_time < cutoff:
            old.append(self._items.popleft())
        return old

    def due(
        self, *, window: int | None, now: float, resend_after: float
    ) -> list[tuple[Pending, Send]]:
        """The arrivals to publish now, in order, marked as sent at ``now``, each with
        why: its first send, a replay (sent before, on an earlier connection) or a
        resend (no answer within ``resend_after`` on this connection); first, taken
        out, the spent arrivals given up (``GIVE_UP``: not to be published)."""
        batch: list[tuple[Pending, Send]] = []
        for pending in [p for p in self._items if p.spent]:
            if pending.sent_at is None or now - pending.sent_at >= resend_after:
                self._items.remove(pending)
                batch.append((pending, Send.GIVE_UP))
        for n, pending in enumerate(self._items):
            if window is not None and n >= window:
                break
            if pending.spent:
                continue
            if pending.sent_at is None:
                why = Send.FIRST if pending.sends == 0 else Send.REPLAY
            elif now - pending.sent_at >= resend_after:
                why = Send.RESEND
            else:
                continue
            pending.sends += 1
            pending.sent_at = now
            batch.append((pending, why))
        return batch
