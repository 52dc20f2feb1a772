"""The suite-wide log leak check itself works (SECURITY.md 25)."""

from __future__ import annotations

import logging

from tests.support.leaks import LogCapture, remember


def test_log_capture_finds_a_registered_secret_when_logged() -> None:
    handler = LogCapture()
    logger = logging.getLogger("gatepost.test-leak-probe")
    logger.addHandler(handler)
    logger.propagate = False  # keep the probe out of the suite-wide capture
    try:
        remember("probe-secret-value-123")
        logger.warning("user typed %s", "probe-secret-value-123")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    assert handler.leaks(), "the capture must detect a logged secret"


def test_log_capture_reports_nothing_when_only_ids_are_logged() -> None:
    handler = LogCapture()
    handler.lines.append("login denied for user:0123456789abcdef0123456789abcdef")
    remember("another-probe-secret-456")
    assert not [leak for leak in handler.leaks() if leak[0].startswith("anot")]
