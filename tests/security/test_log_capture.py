"""The suite-wide log leak gate itself works (SECURITY.md 25), in one process and
under xdist: a test that logs a registered value fails, and the report names where the
value was registered without printing it."""

from __future__ import annotations

import logging
import textwrap

import pytest

from tests.support.leaks import LeakGate, LogCapture, remember
from tests.support.services import REPO_ROOT

pytest_plugins = ["pytester"]

PROBE = "probe-secret-value-123"

LEAKY_SUITE = textwrap.dedent(
    """
    import logging

    from tests.support.leaks import remember

    SECRET = "tiny-suite-secret-" + "8d41c7"


    def test_logs_a_registered_secret():
        remember(SECRET)
        logging.getLogger("tiny").warning("the token is %s", SECRET)


    def test_secret_logged_before_it_is_registered():
        logging.getLogger("tiny").warning("early: %s", SECRET + "-early")
        remember(SECRET + "-early")


    def test_logs_only_an_id():
        logging.getLogger("tiny").warning("user 0123456789abcdef")
    """
)


def test_log_capture_finds_a_registered_secret_when_logged() -> None:
    handler = LogCapture()
    logger = logging.getLogger("gatepost.test-leak-probe")
    logger.addHandler(handler)
    logger.propagate = False  # keep the probe out of the suite-wide capture
    try:
        remember(PROBE)
        logger.warning("user typed %s", PROBE)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    leaks = handler.leaks()
    assert leaks, "the capture must detect a logged secret"
    assert all(PROBE not in leak.line for leak in leaks), "the report must mask the value"
    assert "test_log_capture.py" in leaks[0].registered_at


def test_log_capture_reports_nothing_when_only_ids_are_logged() -> None:
    handler = LogCapture()
    handler.lines.append("login denied for user:0123456789abcdef0123456789abcdef")
    remember("another-probe-secret-456")
    assert handler.leaks() == []


def test_gate_checks_old_lines_for_values_registered_later() -> None:
    handler = LogCapture()
    gate = LeakGate(handler)
    handler.lines.append("first line: later-registered-secret-789")
    assert gate.check() == []
    remember("later-registered-secret-789")
    assert len(gate.check()) == 1
    assert gate.check() == [], "a leak is reported once"


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_a_test_that_logs_a_registered_secret_fails_the_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, workers: list[str]
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    pytester.makepyfile(test_leaky=LEAKY_SUITE)
    result = pytester.runpytest_subprocess(
        "-p", "tests.support.leaks", "-p", "no:cacheprovider", "-rf", *workers
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=1, failed=2)
    output = result.stdout.str() + result.stderr.str()
    assert "SECURITY.md 25" in output
    assert "value registered at test_leaky.py" in output
    assert "8d41c7" not in output, "the report must not print the leaked value"
