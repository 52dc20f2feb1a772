"""Suite-wide log capture for SECURITY.md 25: no secret or personal value in any log.

Every log record emitted while the suite runs is kept (formatted with its arguments).
Tests register the secrets and personal values they use with :func:`remember`; at the
end of the session each one is searched for in the captured log text, and the session
fails if any appears.
"""

from __future__ import annotations

import logging
import threading

__all__ = ["LogCapture", "capture", "remember", "remembered"]

_values: set[str] = set()
_lock = threading.Lock()


def remember(*values: str) -> None:
    """Register values that must never appear in logs (passwords, tokens, PII)."""
    with _lock:
        _values.update(v for v in values if v and len(v) >= 6)


def remembered() -> set[str]:
    with _lock:
        return set(_values)


class LogCapture(logging.Handler):
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
        self.lines.append(text)

    def leaks(self) -> list[tuple[str, str]]:
        joined = "\n".join(self.lines)
        return [
            (value[:4] + "…", line[:120])
            for value in remembered()
            if value in joined
            for line in self.lines
            if value in line
        ][:20]


capture = LogCapture()
