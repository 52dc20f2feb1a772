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
from gatepost.services.uow import Transactions

__all__ = ["LoginThrottleService"]


def _key(label: str, value: str) -> bytes:
    return hashlib.sha256(f"gatepost/throttle/{label}\x00{value}".encode()).digest()


class LoginThrottleService:
    def __init__(
        self, *, tx: Transactions, clock: Clock, max_failures: int, window_seconds: int
    ) -> None:
        self._tx = tx
        self._clock = clock
        self._max = max_failures
        self._window = timedelta(seconds=window_seconds)

    def _keys(self, account: str, client: str) -> list[bytes]:
        return [_key("account", account), _key("client", client)]

    def check(self, *, account: str, client: str) -> None:
        """Throttled (with the seconds to wait) while the account or client is at the limit."""
        now = self._clock.now()
        with self._tx.write() as uow:
            for key in self._keys(account, client):
                count = uow.throttle.lock(key)
                if count is None or now - count.window_start >= self._window:
                    continue
                if count.failures >= self._max:
                    remaining = self._window - (now - count.window_start)
                    raise Throttled(retry_after=max(1, int(remaining.total_seconds())))

    def failed(self, *, account: str, client: str) -> None:
        """Count a failed login against the account and the client."""
        now = self._clock.now()
        with self._tx.write() as uow:
            for key in self._keys(account, client):
                count = uow.throttle.lock(key)
                if count is None:
                    uow.throttle.start(key, at=now)
                elif now - count.window_start >= self._window:
                    uow.throttle.restart(key, at=now)
                else:
                    uow.throttle.add_failure(key)

    def succeeded(self, *, account: str) -> None:
        """A successful login clears the account's count (the client's stays)."""
        with self._tx.write() as uow:
            uow.throttle.clear(_key("account", account))
