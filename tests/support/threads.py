"""Reader threads for "stays correct under concurrent writes" tests, that cannot pass
vacuously: an exception in a reader fails the test (a plain thread would only print a
warning), and a reader that never ran fails it too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType

__all__ = ["Readers"]


class Readers:
    """``count`` threads that call ``step`` in a loop until the ``with`` block ends.

    Entering waits until every reader has finished one step, so the block's writes
    really overlap the reads. Leaving stops and joins them, then fails (unless the block
    itself raised) if any reader raised, or if one never completed a step.
    """

    def __init__(self, step: Callable[[], None], *, count: int, start_timeout: float = 30) -> None:
        self._step = step
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._start_timeout = start_timeout
        self.iterations = [0] * count
        self.errors: list[BaseException] = []
        self._threads = [
            threading.Thread(target=self._run, args=(n,), name=f"reader-{n}", daemon=True)
            for n in range(count)
        ]

    def _run(self, number: int) -> None:
        try:
            while not self._stop.is_set():
                self._step()
                self.iterations[number] += 1
        except BaseException as exc:  # noqa: BLE001 - kept and raised in the test's thread
            with self._lock:
                self.errors.append(exc)

    def __enter__(self) -> Readers:
        for thread in self._threads:
            thread.start()
        deadline = time.monotonic() + self._start_timeout
        while min(self.iterations) == 0 and not self.errors and time.monotonic() < deadline:
            time.sleep(0.001)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
        if kind is not None:
            return
        alive = [t.name for t in self._threads if t.is_alive()]
        assert alive == [], f"readers still running after 60 s: {alive}"
        if self.errors:
            raise AssertionError(
                f"{len(self.errors)} reader(s) raised: {self.errors[0]!r}"
            ) from self.errors[0]
        assert min(self.iterations) > 0, f"a reader never completed a step: {self.iterations}"
