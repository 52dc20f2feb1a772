"""Where the real services the tests need live, and how a missing one is handled.

Outside CI a missing service skips the tests that need it; under ``CI=true`` it fails
them, because CI provides every service.
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


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def missing(what: str) -> None:
    """Skip (or, in CI, fail) because ``what`` is not reachable."""
    if in_ci():
        pytest.fail(f"{what} is not reachable, and CI must provide it")
    pytest.skip(f"{what} is not reachable")


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False
