"""Per-tenant caches that know when they are stale, by a version counter.

A tenant row carries a version for each cached data class (``face_gallery_version``,
``vehicle_version``; access rules later), bumped in the same transaction as every
change to that data. A reader that has the current version in hand (it read the tenant
row, or the counter, in its own transaction) asks the cache for that version: a hit
costs a dictionary lookup, a miss (first use, or another process changed the data)
builds the value once while concurrent readers of the same tenant wait for it.
Values must be immutable: they are shared between threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["VersionedCache"]

T = TypeVar("T")


class VersionedCache(Generic[T]):
    """tenant id -> (version, value); at most ``max_tenants`` tenants (least recent go)."""

    def __init__(self, *, max_tenants: int = 1024) -> None:
        self._values: dict[str, tuple[int, T]] = {}
        self._max = max_tenants
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}
        self.builds = 0  # how many times a value was built (tests and metrics)

    def get(self, tenant_id: str, version: int, build: Callable[[], T]) -> T:
        """The value for ``version``, built by ``build`` if the cached one is older."""
        with self._lock:
            cached = self._values.get(tenant_id)
            if cached is not None and cached[0] == version:
                self._values[tenant_id] = self._values.pop(tenant_id)  # most recent last
                return cached[1]
            building = self._building.setdefault(tenant_id, threading.Lock())
        with building:
            with self._lock:
                cached = self._values.get(tenant_id)
                if cached is not None and cached[0] == version:
                    return cached[1]
            value = build()
            with self._lock:
                self.builds += 1
                current = self._values.get(tenant_id)
                if current is None or current[0] <= version:
                    self._values.pop(tenant_id, None)
                    self._values[tenant_id] = (version, value)
                while len(self._values) > self._max:
                    del self._values[next(iter(self._values))]
            return value

    def forget(self, tenant_id: str | None = None) -> None:
        with self._lock:
            if tenant_id is None:
                self._values.clear()
            else:
                self._values.pop(tenant_id, None)
