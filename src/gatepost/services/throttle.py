"""LoginThrottle: counts failed logins per account and per client in the database.

Keys are SHA-256 of a label and the value, so the table holds no usernames or
addresses in the clear. Each count lives in a fixed window; when either the account
or the client reaches the limit, further attempts are refused until the window ends.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from gatepost.domain.ports import Clock
from gatepost.errors import Throttled
from gatepost.store.db import Database
from gatepost.store.repositories import accounts as account_repo
from gatepost.store.tables import LoginThrottle

__all__ = ["LoginThrottleService"]


def _key(label: str, value: str) -> bytes:
    return hashlib.sha256(f"gatepost/throttle/{label}\x00{value}".encode()).digest()


class LoginThrottleService:
    def __init__(self, *, db: Database, clock: Clock, max_failures: int, window_seconds: int):
        self._db = db
        self._clock = clock
        self._max = max_failures
        self._window = timedelta(seconds=window_seconds)

    def _keys(self, account: str, client: str) -> list[bytes]:
        return [_key("account", account), _key("client", client)]

    def check(self, *, account: str, client: str) -> None:
        now = self._clock.now()
        with self._db.session() as session:
            for key in self._keys(account, client):
                row = account_repo.throttle_row(session, key)
                if row is None or now - row.window_start >= self._window:
                    continue
                if row.failures >= self._max:
                    remaining = self._window - (now - row.window_start)
                    raise Throttled(retry_after=max(1, int(remaining.total_seconds())))

    def failed(self, *, account: str, client: str) -> None:
        now = self._clock.now()
        with self._db.session() as session:
            for key in self._keys(account, client):
                row = account_repo.throttle_row(session, key)
                if row is None:
                    account_repo.add(
                        session,
                        LoginThrottle(key_hash=key, failures=1, window_start=now),
                    )
                elif now - row.window_start >= self._window:
                    row.failures, row.window_start = 1, now
                else:
                    row.failures += 1

    def succeeded(self, *, account: str) -> None:
        with self._db.session() as session:
            row = account_repo.throttle_row(session, _key("account", account))
            if row is not None:
                session.delete(row)
