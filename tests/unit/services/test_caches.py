"""VersionedCache: one build per tenant and version, shared by concurrent readers."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from gatepost.services.caches import VersionedCache


def test_a_value_is_built_once_per_version_and_rebuilt_when_the_version_moves() -> None:
    cache: VersionedCache[str] = VersionedCache()
    built: list[int] = []

    def build(version: int) -> str:
        built.append(version)
        return f"v{version}"

    assert cache.get("t1", 1, lambda: build(1)) == "v1"
    assert cache.get("t1", 1, lambda: build(1)) == "v1"
    assert cache.get("t1", 2, lambda: build(2)) == "v2"
    assert cache.get("t2", 1, lambda: build(1)) == "v1"
    assert built == [1, 2, 1] and cache.builds == 3


def test_an_older_reader_does_not_replace_a_newer_value() -> None:
    """A reader whose transaction saw an older version builds for itself but leaves the
    newer cached value in place."""
    cache: VersionedCache[str] = VersionedCache()
    cache.get("t1", 5, lambda: "new")
    assert cache.get("t1", 4, lambda: "old") == "old"
    assert cache.get("t1", 5, lambda: "rebuilt") == "new"


def test_concurrent_readers_of_one_tenant_share_one_build() -> None:
    cache: VersionedCache[int] = VersionedCache()
    calls = 0
    lock = threading.Lock()

    def slow_build() -> int:
        nonlocal calls
        with lock:
            calls += 1
        time.sleep(0.05)
        return 42

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: cache.get("t1", 1, slow_build), range(8)))
    assert results == [42] * 8 and calls == 1


def test_the_least_recently_used_tenant_goes_first_when_full() -> None:
    cache: VersionedCache[str] = VersionedCache(max_tenants=2)
    cache.get("a", 1, lambda: "a")
    cache.get("b", 1, lambda: "b")
    cache.get("a", 1, lambda: "unused")  # a is now the most recent
    cache.get("c", 1, lambda: "c")  # b goes
    assert cache.get("a", 1, lambda: "rebuilt") == "a"
    assert cache.get("b", 1, lambda: "rebuilt") == "rebuilt"
