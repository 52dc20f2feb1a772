"""One answer for every credential that does not authenticate (SECURITY.md 1, 18, 20).

No credential, a malformed one, or a bearer token, session cookie, API key or device
token that is unknown, revoked or expired: the same status, body and headers, so the
answer tells a caller nothing about the credential it tried.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gatepost.domain.ports import FixedClock
from gatepost.security.tokens import TokenKind, issue_token
from gatepost.services.container import Container
from tests.support.api import STRONG_PASSWORD, Actor, add_device, add_site, add_user, login
from tests.support.leaks import remember

COOKIE = "__Host-gatepost_session"
PATHS = ["/api/v1/auth/me", "/api/v1/persons", "/api/v1/devices"]


def _answer(response: Any) -> tuple[int, bytes, list[tuple[str, str]]]:
    return response.status_code, response.content, sorted(response.headers.items())


def _bearer(client: TestClient, path: str, token: str) -> Any:
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def _cookie(client: TestClient, path: str, token: str) -> Any:
    return client.get(path, headers={"Cookie": f"{COOKIE}={token}"})


def _refused_tokens(admin: Actor, client: TestClient) -> dict[str, str]:
    """Tokens that must not authenticate, by what is wrong with them."""
    tenant = admin.tenant_id
    tokens = {
        "garbage": "not-a-token",
        "unknown session": issue_token(TokenKind.SESSION, tenant),
        "unknown API key": issue_token(TokenKind.API_KEY, tenant),
        "unknown device token": issue_token(TokenKind.DEVICE, tenant),
        "setup token": issue_token(TokenKind.SETUP, tenant),
        "unknown tenant": issue_token(TokenKind.SESSION, "0" * len(tenant)),
    }
    logged_out = login(client, "acme", "admin", STRONG_PASSWORD)
    assert (
        client.post(
            "/api/v1/auth/logout", headers={"Authorization": f"Bearer {logged_out}"}
        ).status_code
        == 204
    )
    tokens["logged-out session"] = logged_out

    disabled = add_user(admin, "guard", "disabled-user")
    assert admin.patch(f"/api/v1/users/{disabled.id}", json={"disabled": True}).status_code == 200
    tokens["session of a disabled user"] = disabled.token

    key = admin.post("/api/v1/api-keys", json={"name": "revoked key", "role": "auditor"})
    assert key.status_code == 201, key.text
    remember(key.json()["token"])
    revoked = admin.post(f"/api/v1/api-keys/{key.json()['id']}/revoke")
    assert revoked.status_code == 200, revoked.text
    tokens["revoked API key"] = key.json()["token"]

    site = add_site(admin)
    device = add_device(admin, site, "Revoked gate")
    assert admin.post(f"/api/v1/devices/{device.id}/revoke").status_code == 200
    tokens["revoked device token"] = device.token
    rotated = add_device(admin, site, "Rotated gate")
    fresh = admin.post(f"/api/v1/devices/{rotated.id}/rotate-credential")
    assert fresh.status_code in (200, 201), fresh.text
    remember(fresh.json()["credential"])
    tokens["rotated-away device token"] = rotated.token
    return tokens


def test_every_refused_credential_gets_the_same_answer(admin: Actor, client: TestClient) -> None:
    client.cookies.clear()
    tokens = _refused_tokens(admin, client)
    for path in PATHS:
        expected = _answer(client.get(path))
        assert expected[0] == 401
        for what, token in tokens.items():
            assert _answer(_bearer(client, path, token)) == expected, f"bearer {what} on {path}"
            assert _answer(_cookie(client, path, token)) == expected, f"cookie {what} on {path}"
        assert admin.get(path).status_code == 200  # the administrator's own session still works


@pytest.mark.parametrize("how", ["idle", "absolute"])
def test_an_expired_session_gets_the_same_answer_as_no_credential(
    admin: Actor, client: TestClient, container: Container, clock: FixedClock, how: str
) -> None:
    client.cookies.clear()
    expected = _answer(client.get("/api/v1/auth/me"))
    token = login(client, "acme", "admin", STRONG_PASSWORD)
    security = container.settings.security
    if how == "idle":
        clock.advance(timedelta(minutes=security.session_idle_minutes, seconds=1))
    else:
        step = timedelta(minutes=security.session_idle_minutes) / 2
        absolute, elapsed = timedelta(hours=security.session_absolute_hours), timedelta(0)
        while elapsed + step < absolute:
            clock.advance(step)
            elapsed += step
            assert _bearer(client, "/api/v1/auth/me", token).status_code == 200
        clock.advance(absolute - elapsed)
    assert _answer(_bearer(client, "/api/v1/auth/me", token)) == expected
    assert _answer(_cookie(client, "/api/v1/auth/me", token)) == expected


def test_the_refusal_names_no_reason(client: TestClient) -> None:
    body = client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {secrets.token_urlsafe(8)}"}
    ).json()
    assert body == {"error": {"code": "unauthenticated", "message": "authentication required"}}
