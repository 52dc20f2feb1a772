"""The log-leak gate of SECURITY.md 25: no secret or personal value in any log.

A pytest plugin (``tests/conftest.py`` loads it). Every log record emitted while the
suite runs is kept, formatted with its arguments. Tests register the secrets and
personal values they use with :func:`remember`. After each phase of each test (setup,
call, teardown) the records logged since the last check are searched for every
registered value, and the records logged before it for the values registered since; a
hit turns that phase of that test into a failure. The report names where the leaked
value was registered and shows the log line with the value masked, never the value.

The check runs inside each test's own report, so it works the same in one process and
under ``pytest -n`` (xdist), where a worker's exit status is fixed before any
session-end hook could change it. Lines logged after the last test are checked at
session end as well.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = [
    "Leak",
    "LeakGate",
    "LogCapture",
    "capture",
    "describe",
    "gate",
    "mask",
    "registration",
    "remember",
    "remembered",
]

#: What replaces a leaked value in the report.
MASK = "«registered value»"

_registrations: dict[str, str] = {}
_lock = threading.Lock()
_REPO_ROOT = Path(__file__).resolve().parents[2]


def _caller() -> str:
    """Where :func:`remember` was called from, as ``path:line`` (for the report)."""
    here = Path(__file__).resolve()
    for frame in inspect.stack(context=0)[1:]:
        path = Path(frame.filename).resolve()
        if path != here:
            try:
                shown = str(path.relative_to(_REPO_ROOT))
            except ValueError:
                shown = path.name
            return f"{shown}:{frame.lineno} ({frame.function})"
    return "unknown"


def remember(*values: str) -> None:
    """Register values that must never appear in logs (passwords, tokens, PII)."""
    kept = [v for v in values if v and len(v) >= 6]
    if not kept:
        return
    where = _caller()
    with _lock:
        for value in kept:
            _registrations.setdefault(value, where)


def remembered() -> set[str]:
    with _lock:
        return set(_registrations)


def registration(value: str) -> str:
    """Where ``value`` was registered (``path:line (function)``)."""
    with _lock:
        return _registrations.get(value, "unknown")


@dataclass(frozen=True)
class Leak:
    """A registered value found in a log line: where it was registered, the masked line."""

    registered_at: str
    line: str


def mask(text: str, values: Iterable[str]) -> str:
    """``text`` with every one of ``values`` replaced by :data:`MASK` (longest first)."""
    for value in sorted((v for v in values if v), key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


def _find(lines: list[str], values: Iterable[str]) -> list[Leak]:
    wanted = [v for v in values if v]
    if not wanted or not lines:
        return []
    joined = "\n".join(lines)
    found: list[Leak] = []
    everything = remembered() | set(wanted)
    for value in sorted(v for v in wanted if v in joined):
        line = next((line for line in lines if value in line), joined)  # (across lines)
        found.append(Leak(registration(value), mask(line, everything)[:200]))
    return found


class LogCapture(logging.Handler):
    """Keeps the text of every record it sees."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record must not break the suite
            text = str(record.msg)
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"[{record.name}] {text}")

    def leaks(self) -> list[Leak]:
        """Every registered value in any line kept so far (one entry per value)."""
        return _find(list(self.lines), remembered())


class LeakGate:
    """Checks a :class:`LogCapture` incrementally: new lines for every registered
    value, older lines only for the values registered since the last check."""

    def __init__(self, source: LogCapture) -> None:
        self.source = source
        self.checked = 0
        self.known: set[str] = set()
        self._checked_chunks: list[str] = []  # the lines already checked, joined by check

    def check(self) -> list[Leak]:
        values = remembered()
        end = len(self.source.lines)
        fresh = self.source.lines[self.checked : end]
        joined = "\n".join(fresh)
        in_fresh = {v for v in values if v in joined}
        leaks = _find(fresh, in_fresh)
        earlier = {
            v
            for v in values - self.known - in_fresh
            if any(v in chunk for chunk in self._checked_chunks)
        }
        if earlier:
            leaks += _find(self.source.lines[: self.checked], earlier)
        if fresh:
            self._checked_chunks.append(joined)
            if len(self._checked_chunks) > 256:  # fewer, longer strings search faster
                self._checked_chunks = ["\n".join(self._checked_chunks)]
        self.checked = end
        self.known = values
        return leaks


capture = LogCapture()
gate = LeakGate(capture)


def describe(leaks: list[Leak]) -> str:
    head = "SECRET OR PERSONAL VALUE IN LOGS (SECURITY.md 25):"
    return "\n".join(
        [head]
        + [f"  value registered at {leak.registered_at} logged in: {leak.line}" for leak in leaks]
    )


# -- pytest hooks -------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    root = logging.getLogger()
    if capture not in root.handlers:
        root.addHandler(capture)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Fail the phase of the test in which a registered value reached a log record."""
    report = yield
    leaks = gate.check()
    if leaks:
        message = describe(leaks)
        # pytest shows captured logs and output with a failure: mask the values there too.
        values = remembered()
        report.sections = [(title, mask(content, values)) for title, content in report.sections]
        if report.failed:
            report.sections.append(("SECURITY.md 25", message))
        else:
            report.outcome = "failed"
            report.longrepr = message
            if hasattr(report, "wasxfail"):
                del report.wasxfail  # a leak is no expected failure
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Lines logged after the last test (in one process; workers report per test)."""
    leaks = gate.check()
    if leaks:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(describe(leaks), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
