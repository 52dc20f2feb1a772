"""Failed-login counts, one per hashed key (an account or a client), in fixed windows.

The table is not tenant-owned: a key is a SHA-256 the throttle service derives from
what it counts, so no username or address is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from gatepost.store.tables import LoginThrottle

__all__ = ["ThrottleCount", "ThrottleRepository"]


@dataclass(frozen=True)
class ThrottleCount:
    """Failures counted under one key since ``window_start``."""

    key_hash: bytes = field(repr=False)
    failures: int
    window_start: datetime


class ThrottleRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def lock(self, key_hash: bytes) -> ThrottleCount | None:
        """The count under ``key_hash``, locked until the transaction ends (None if none)."""
        row = self._session.get(LoginThrottle, key_hash, with_for_update=True)
        if row is None:
            return None
        return ThrottleCount(row.key_hash, row.failures, row.window_start)

    def start(self, key_hash: bytes, *, at: datetime) -> None:
        """A first failure under ``key_hash``, opening its window at ``at``."""
        self._session.add(LoginThrottle(key_hash=key_hash, failures=1, window_start=at))
        self._session.flush()

    def restart(self, key_hash: bytes, *, at: datetime) -> None:
        """A first failure of a new window that opens at ``at``."""
        self._session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key_hash == key_hash)
            .values(failures=1, window_start=at)
        )

    def add_failure(self, key_hash: bytes) -> None:
        """One more failure in the current window."""
        self._session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key_hash == key_hash)
            .values(failures=LoginThrottle.failures + 1)
        )

    def clear(self, key_hash: bytes) -> None:
        self._session.execute(delete(LoginThrottle).where(LoginThrottle.key_hash == key_hash))
