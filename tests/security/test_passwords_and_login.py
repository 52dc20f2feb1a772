"""Passwords (SECURITY.md 16) and login throttling and uniformity (SECURITY.md 17)."""

from __future__ import annotations

import itertools
import statistics
import time
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from gatepost.app import compose_app
from gatepost.domain.ports import FixedClock
from gatepost.services.container import Container, build_container
from gatepost.settings import Settings
from tests.support.api import STRONG_PASSWORD, Actor
from tests.support.leaks import remember

_addresses = (f"198.51.100.{i}" for i in itertools.count(1))


def client_from(client: TestClient, host: str | None = None) -> TestClient:
    """Another client of the same app, calling from its own address."""
    return TestClient(
        client.app, base_url="https://testserver", client=(host or next(_addresses), 40000)
    )


def _login(client: TestClient, tenant: str, username: str, password: str, **extra: Any) -> Any:
    return client.post(
        "/api/v1/auth/login",
        json={"tenant": tenant, "username": username, "password": password, **extra},
    )


def _create_user(admin: Actor, username: str, password: str, role: str = "operator") -> Any:
    response = admin.post(
        "/api/v1/users", json={"username": username, "password": password, "role": role}
    )
    if response.status_code == 201:
        remember(password)
    return response


def _hash_of(container: Container, username: str) -> str:
    with container.db.engine.connect() as conn:
        value: str = conn.execute(
            text("SELECT password_hash FROM users WHERE username = :u"), {"u": username}
        ).scalar_one()
    return value


def _tuned(settings: Settings, clock: FixedClock, **security: Any) -> Container:
    """A second container on the same database and key file, with other settings."""
    tuned = settings.model_copy(update={"security": settings.security.model_copy(update=security)})
    return build_container(tuned, clock=clock)


# -- password policy and hashing --------------------------------------------------------


def test_password_hash_is_argon2id(admin: Actor, container: Container) -> None:
    assert _create_user(admin, "hashed-user", STRONG_PASSWORD).status_code == 201
    stored = _hash_of(container, "hashed-user")
    assert stored.startswith("$argon2id$v=19$")
    assert "m=19456,t=2" in stored
    assert STRONG_PASSWORD not in stored


def test_password_shorter_than_12_is_refused(admin: Actor) -> None:
    response = _create_user(admin, "short-user", "Xq7#mP2$vL9")
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "password"
    assert _create_user(admin, "twelve-user", "Xq7#mP2$vL9!").status_code == 201


@pytest.mark.parametrize("common", ["password1234", "PASSWORD1234", "qwerty123456", "1qaz2wsx3edc"])
def test_common_password_is_refused(admin: Actor, common: str) -> None:
    response = _create_user(admin, "common-user", common)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "password"
    assert response.json()["error"]["code"] == "weak_password"


def test_password_equal_to_username_is_refused(admin: Actor) -> None:
    response = _create_user(admin, "lighthouse-keeper", "Lighthouse-Keeper")
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "password"


@pytest.mark.parametrize("length", [128, 1024])
def test_long_password_is_not_truncated(admin: Actor, client: TestClient, length: int) -> None:
    words = "Tangerine-Lighthouse-Orchard-Quartz-Ribbon-Violet-Canal-Anthem-"  # not a run
    password = ("Qz7!" + words * 17)[: length - 1] + "K"
    assert len(password) == length
    assert _create_user(admin, "long-user", password).status_code == 201
    caller = client_from(client)
    assert _login(caller, "acme", "long-user", password).status_code == 200
    last_changed = password[:-1] + "L"
    assert _login(caller, "acme", "long-user", last_changed).status_code == 401
    assert _login(caller, "acme", "long-user", password[:-1]).status_code == 401
    assert _login(caller, "acme", "long-user", password[:72]).status_code == 401


def test_password_longer_than_1024_is_refused(admin: Actor) -> None:
    response = _create_user(admin, "too-long-user", "Qz7!" + "x" * 1021)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "password"


def test_password_hash_is_upgraded_at_login_when_parameters_change(
    admin: Actor, client: TestClient, container: Container, settings: Settings, clock: FixedClock
) -> None:
    assert _create_user(admin, "upgrade-user", STRONG_PASSWORD).status_code == 201
    old = _hash_of(container, "upgrade-user")
    assert "m=19456,t=2" in old
    stronger = _tuned(settings, clock, argon2_time_cost=3, argon2_memory_kib=24_576)
    try:
        tuned_client = TestClient(compose_app(stronger), base_url="https://testserver")
        wrong = _login(tuned_client, "acme", "upgrade-user", STRONG_PASSWORD + "!")
        assert wrong.status_code == 401
        assert _hash_of(container, "upgrade-user") == old, "a failed login changed the hash"
        assert _login(tuned_client, "acme", "upgrade-user", STRONG_PASSWORD).status_code == 200
        upgraded = _hash_of(container, "upgrade-user")
        assert upgraded != old
        assert upgraded.startswith("$argon2id$") and "m=24576,t=3" in upgraded
        assert _login(tuned_client, "acme", "upgrade-user", STRONG_PASSWORD).status_code == 200
        assert _hash_of(container, "upgrade-user") == upgraded, "rehashed without a change"
    finally:
        stronger.close()


# -- throttling ---------------------------------------------------------------------


def test_login_throttled_per_account_even_with_the_right_password(
    admin: Actor, client: TestClient, container: Container, clock: FixedClock
) -> None:
    limit = container.settings.security.login_max_failures
    attacker = client_from(client)
    for _ in range(limit):
        assert _login(attacker, "acme", "admin", "Wrong-Password-123").status_code == 401
    refused = _login(attacker, "acme", "admin", STRONG_PASSWORD)
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "throttled"
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= container.settings.security.login_window_seconds
    # the account is throttled whoever asks
    owner = client_from(client)
    assert _login(owner, "acme", "admin", STRONG_PASSWORD).status_code == 429
    assert _login(owner, " ACME ", "Admin ", STRONG_PASSWORD).status_code == 429
    clock.advance(timedelta(seconds=container.settings.security.login_window_seconds + 1))
    assert _login(owner, "acme", "admin", STRONG_PASSWORD).status_code == 200


def test_login_throttled_per_client_across_accounts(
    admin: Actor, client: TestClient, container: Container, clock: FixedClock
) -> None:
    limit = container.settings.security.login_max_failures
    sprayer = client_from(client)
    for index in range(limit):
        response = _login(sprayer, "acme", f"guess-{index}", "Wrong-Password-123")
        assert response.status_code == 401
    refused = _login(sprayer, "acme", "admin", STRONG_PASSWORD)
    assert refused.status_code == 429, refused.text
    assert "Retry-After" in refused.headers
    assert _login(sprayer, "other-tenant", "someone", "Wrong-Password-123").status_code == 429
    # the account itself is not throttled: another client logs in
    assert _login(client_from(client), "acme", "admin", STRONG_PASSWORD).status_code == 200
    clock.advance(timedelta(seconds=container.settings.security.login_window_seconds + 1))
    assert _login(sprayer, "acme", "admin", STRONG_PASSWORD).status_code == 200


def test_successful_login_does_not_reset_the_client_counter(
    admin: Actor, client: TestClient, container: Container
) -> None:
    limit = container.settings.security.login_max_failures
    sprayer = client_from(client)
    for index in range(limit - 1):
        assert _login(sprayer, "acme", f"guess-{index}", "Wrong-Password-123").status_code == 401
    assert _login(sprayer, "acme", "admin", STRONG_PASSWORD).status_code == 200
    assert _login(sprayer, "acme", "guess-x", "Wrong-Password-123").status_code == 401
    assert _login(sprayer, "acme", "admin", STRONG_PASSWORD).status_code == 429


# -- uniform failures ---------------------------------------------------------------


def test_login_failures_are_indistinguishable(admin: Actor, client: TestClient) -> None:
    assert _create_user(admin, "disabled-user", STRONG_PASSWORD).status_code == 201
    user_id = admin.get("/api/v1/users").json()["items"]
    disabled_id = next(u["id"] for u in user_id if u["username"] == "disabled-user")
    assert admin.patch(f"/api/v1/users/{disabled_id}", json={"disabled": True}).status_code == 200
    attempts = {
        "unknown tenant": ("no-such-tenant", "admin", STRONG_PASSWORD),
        "unknown user": ("acme", "nobody-here", STRONG_PASSWORD),
        "disabled user, right password": ("acme", "disabled-user", STRONG_PASSWORD),
        "wrong password": ("acme", "admin", STRONG_PASSWORD + "x"),
    }
    answers = {}
    for label, (tenant, username, password) in attempts.items():
        response = _login(client_from(client), tenant, username, password)
        answers[label] = (
            response.status_code,
            response.json(),
            response.headers.get("www-authenticate"),
            "set-cookie" in response.headers,
        )
    first = answers["wrong password"]
    assert first[0] == 401 and first[3] is False
    for label, answer in answers.items():
        assert answer == first, f"{label} answers differently: {answer} vs {first}"


def test_unknown_user_and_wrong_password_take_similar_time(
    admin: Actor, client: TestClient, settings: Settings, clock: FixedClock
) -> None:
    lenient = _tuned(settings, clock, login_max_failures=100)
    try:
        app = compose_app(lenient)
        timings: dict[str, list[float]] = {"unknown user": [], "wrong password": []}
        attempts = {
            "unknown user": ("nobody-here", STRONG_PASSWORD),
            "wrong password": ("admin", STRONG_PASSWORD + "x"),
        }
        caller = TestClient(app, base_url="https://testserver", client=(next(_addresses), 1))
        _login(caller, "acme", "warm-up", "Wrong-Password-123")  # first-request costs
        for _ in range(11):
            for label, (username, password) in attempts.items():
                caller = TestClient(
                    app, base_url="https://testserver", client=(next(_addresses), 1)
                )
                started = time.perf_counter()
                response = _login(caller, "acme", username, password)
                timings[label].append(time.perf_counter() - started)
                assert response.status_code == 401
        ratio = statistics.median(timings["unknown user"]) / statistics.median(
            timings["wrong password"]
        )
        assert 0.5 <= ratio <= 2.0, f"unknown/wrong median time ratio {ratio:.2f}"
    finally:
        lenient.close()
