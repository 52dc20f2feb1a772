"""Where the real services the tests need live, and how a missing one is handled.

The one rule for every skip in the suite: outside CI a missing service or resource
(a server, a binary, a font, a platform file) skips the tests that need it through
:func:`missing`; under CI (``CI`` set to ``true``, ``1`` or ``yes``, any case; ``.ci/run``
sets it) it fails them, because CI provides every one. A parametrised case that cannot
exist at all goes through :func:`not_applicable`. No test calls ``pytest.skip`` or
``skipif`` directly (``tests/security/test_suite_rules.py`` checks).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

POSTGRES_URL = os.environ.get(
    "GATEPOST_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
S3_ENDPOINT = f"http://127.0.0.1:{os.environ.get('GATEPOST_TEST_S3_PORT', '8333')}"
S3_ACCESS_KEY = os.environ.get("GATEPOST_TEST_S3_ACCESS_KEY", "gatepost-test")
S3_SECRET_KEY = os.environ.get(
    "GATEPOST_TEST_S3_SECRET_KEY", "gatepost-test-secret-not-for-production"
)
REPO_ROOT = Path(__file__).resolve().parents[2]
# gatepost's own broker, as scripts/mosquitto.sh starts it (the same variables).
MQTT_HOST = "127.0.0.1"
MQTT_PORT = int(os.environ.get("GATEPOST_TEST_MQTT_PORT", "18830"))
MQTT_DIR = Path(os.environ.get("GATEPOST_MQTT_DIR", REPO_ROOT / ".cache" / "mosquitto"))
MQTT_GATEWAY_USER = os.environ.get("GATEPOST_MQTT_GATEWAY_USER", "gatepost-gateway")


#: The values of ``CI`` that mean "this is a CI run" (compared case-insensitively).
CI_TRUTHY = frozenset({"true", "1", "yes"})


def in_ci() -> bool:
    """Whether this run is CI, where every service must be present."""
    return os.environ.get("CI", "").strip().lower() in CI_TRUTHY


def missing(what: str) -> None:
    """Skip (or, in CI, fail) because ``what`` is not reachable."""
    if in_ci():
        pytest.fail(f"{what} is not reachable, and CI must provide it")
    pytest.skip(f"{what} is not reachable")


def not_applicable(why: str) -> None:
    """Skip, in CI too, a parametrised case that cannot exist (say, a value one database
    cannot store): nothing is missing, so nothing should fail. Not for absent services."""
    pytest.skip(f"does not apply: {why}")


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False
