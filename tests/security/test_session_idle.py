"""The idle timeout is kept to the second at a short timeout (SECURITY.md 18).

A session's last use is written only now and then, not on every request; at a 1-minute
idle timeout the write interval must be short enough that a session in use every 15 s
never times out, and one left alone for just over a minute has.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from gatepost.domain.ports import FixedClock
from gatepost.settings import Settings
from tests.support.api import STRONG_PASSWORD, Actor
from tests.support.leaks import remember

IDLE = timedelta(minutes=1)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared test settings with the shortest idle timeout allowed (1 minute)."""
    security = settings.security.model_copy(update={"session_idle_minutes": 1})
    return settings.model_copy(update={"security": security})


def _session(client: TestClient) -> str:
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant": "acme", "username": "admin", "password": STRONG_PASSWORD},
    )
    client.cookies.clear()
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    remember(token)
    return token


def _me(client: TestClient, token: str) -> int:
    status: int = client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}
    ).status_code
    return status


def test_session_used_every_15_seconds_never_times_out_at_one_minute_idle(
    admin: Actor, client: TestClient, clock: FixedClock
) -> None:
    token = _session(client)
    for step in range(1, 5 * 4 + 1):  # five minutes
        clock.advance(timedelta(seconds=15))
        assert _me(client, token) == 200, f"timed out after {step * 15} s of use every 15 s"


@pytest.mark.parametrize("used_after", [0, 10, 15, 20, 45])
def test_session_left_idle_61_seconds_has_timed_out(
    admin: Actor, client: TestClient, clock: FixedClock, used_after: int
) -> None:
    """Whether or not the last use was written, 61 s after it the session is gone."""
    token = _session(client)
    if used_after:
        clock.advance(timedelta(seconds=used_after))
        assert _me(client, token) == 200
    clock.advance(IDLE + timedelta(seconds=1))
    assert _me(client, token) == 401


@pytest.mark.parametrize("used_after", [0, 10, 15, 20, 45])
def test_session_left_idle_45_seconds_is_still_valid(
    admin: Actor, client: TestClient, clock: FixedClock, used_after: int
) -> None:
    """A session times out at most a quarter of the idle timeout early."""
    token = _session(client)
    if used_after:
        clock.advance(timedelta(seconds=used_after))
        assert _me(client, token) == 200
    clock.advance(IDLE * 3 / 4)
    assert _me(client, token) == 200
