"""Sessions: random tokens stored hashed, strict cookies, rotation, revocation,
timeouts and CSRF on cookie-authenticated writes (SECURITY.md 18)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from gatepost.domain.ports import FixedClock
from gatepost.security.tokens import TokenKind, parse_token
from gatepost.services.container import Container
from tests.support.api import STRONG_PASSWORD, Actor, add_user
from tests.support.leaks import remember
from tests.support.routes import operations, random_id
from tests.support.rows import row_counts

COOKIE = "__Host-gatepost_session"
_URLSAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _login(client: TestClient, username: str = "admin", password: str = STRONG_PASSWORD) -> Any:
    response = client.post(
        "/api/v1/auth/login",
        json={"tenant": "acme", "username": username, "password": password},
    )
    assert response.status_code == 200, response.text
    remember(response.json()["token"])
    return response


def _me(client: TestClient, token: str) -> int:
    status: int = client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}
    ).status_code
    return status


def _session_cookie(response: Any) -> dict[str, str | bool]:
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        if name.strip() != COOKIE:
            continue
        value, *attributes = rest.split(";")
        parsed: dict[str, str | bool] = {"value": value.strip()}
        for attribute in attributes:
            key, has_value, attr_value = attribute.strip().partition("=")
            parsed[key.lower()] = attr_value if has_value else True
        return parsed
    raise AssertionError(f"no {COOKIE} cookie in {response.headers.get_list('set-cookie')}")


def _rows_as_text(container: Container, table: str) -> str:
    with container.db.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT * FROM {table}")).all()  # noqa: S608 - fixed name
    parts: list[str] = []
    for row in rows:
        for value in row:
            if isinstance(value, bytes | memoryview):
                raw = bytes(value)
                parts += [raw.hex(), raw.decode("latin-1")]
            else:
                parts.append(str(value))
    return "\n".join(parts)


# -- tokens -------------------------------------------------------------------------


def test_session_token_has_at_least_128_random_bits(admin: Actor, client: TestClient) -> None:
    tokens = [_login(client).json()["token"] for _ in range(3)]
    client.cookies.clear()
    assert len(set(tokens)) == 3
    for token in tokens:
        parsed = parse_token(token, expect=TokenKind.SESSION)
        assert parsed is not None
        secret = token.split("_", 2)[2]
        assert len(secret) >= 22 and set(secret) <= _URLSAFE  # 22 x 6 bits >= 128 bits
    secrets = [t.split("_", 2)[2] for t in tokens]
    assert len({s[:11] for s in secrets}) == 3, "token secrets share a prefix"


def test_session_token_is_stored_only_as_sha256(
    admin: Actor, client: TestClient, container: Container
) -> None:
    token = _login(client).json()["token"]
    client.cookies.clear()
    secret = token.split("_", 2)[2]
    stored = _rows_as_text(container, "sessions")
    assert token not in stored and secret not in stored
    assert hashlib.sha256(token.encode()).hexdigest() in stored
    with container.db.engine.connect() as conn:
        hashes = [bytes(h) for (h,) in conn.execute(text("SELECT token_hash FROM sessions"))]
    assert hashlib.sha256(token.encode()).digest() in hashes


# -- cookie -------------------------------------------------------------------------


def test_session_cookie_is_host_only_httponly_secure_strict(
    admin: Actor, client: TestClient
) -> None:
    response = _login(client)
    client.cookies.clear()
    cookie = _session_cookie(response)
    assert cookie["value"] == response.json()["token"]
    assert cookie.get("httponly") is True
    assert cookie.get("secure") is True
    assert str(cookie.get("samesite", "")).lower() == "strict"
    assert cookie.get("path") == "/"
    assert "domain" not in cookie  # required by the __Host- prefix
    assert COOKIE.startswith("__Host-")


def test_login_issues_a_new_token_each_time(admin: Actor, client: TestClient) -> None:
    first = _login(client)
    second = _login(client)  # sent with the first session's cookie
    client.cookies.clear()
    assert first.json()["token"] != second.json()["token"]
    assert _session_cookie(second)["value"] == second.json()["token"]
    assert first.json()["csrf_token"] != second.json()["csrf_token"]


# -- revocation ---------------------------------------------------------------------


def test_logout_revokes_the_session(admin: Actor, client: TestClient) -> None:
    token = _login(client).json()["token"]
    client.cookies.clear()
    other = _login(client).json()["token"]
    client.cookies.clear()
    response = client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 204
    deleted = _session_cookie(response)
    assert deleted["value"] in ("", '""') or deleted.get("max-age") == "0"
    assert _me(client, token) == 401
    assert _me(client, other) == 200


def test_password_change_revokes_every_session_of_the_user(
    admin: Actor, client: TestClient
) -> None:
    operator = add_user(admin, "operator", "pw-change-user")
    second = _login(client, "pw-change-user").json()["token"]
    client.cookies.clear()
    new_password = "Orchard-Quartz-Ribbon-93"
    remember(new_password)
    response = client.post(
        "/api/v1/auth/password",
        headers=operator.headers,
        json={"current_password": STRONG_PASSWORD, "new_password": new_password},
    )
    assert response.status_code == 204, response.text
    assert _me(client, operator.token) == 401
    assert _me(client, second) == 401
    assert _me(client, admin.token) == 200  # other users keep their sessions
    fresh = _login(client, "pw-change-user", new_password).json()["token"]
    client.cookies.clear()
    assert _me(client, fresh) == 200


def test_disabling_a_user_revokes_their_sessions(admin: Actor, client: TestClient) -> None:
    guard = add_user(admin, "guard", "disabled-later")
    assert _me(client, guard.token) == 200
    assert admin.patch(f"/api/v1/users/{guard.id}", json={"disabled": True}).status_code == 200
    assert _me(client, guard.token) == 401
    assert admin.patch(f"/api/v1/users/{guard.id}", json={"disabled": False}).status_code == 200
    assert _me(client, guard.token) == 401, "re-enabling brought an old session back"


# -- timeouts -----------------------------------------------------------------------


def test_session_expires_after_idle_timeout(
    admin: Actor, client: TestClient, container: Container, clock: FixedClock
) -> None:
    idle = timedelta(minutes=container.settings.security.session_idle_minutes)
    token = _login(client).json()["token"]
    client.cookies.clear()
    for _ in range(3):  # activity keeps it alive past one idle period in total
        clock.advance(idle - timedelta(minutes=1))
        assert _me(client, token) == 200
    clock.advance(idle + timedelta(seconds=1))
    assert _me(client, token) == 401


def test_session_expires_at_absolute_timeout_despite_activity(
    admin: Actor, client: TestClient, container: Container, clock: FixedClock
) -> None:
    absolute = timedelta(hours=container.settings.security.session_absolute_hours)
    step = timedelta(minutes=container.settings.security.session_idle_minutes - 2)
    token = _login(client).json()["token"]
    client.cookies.clear()
    elapsed = timedelta(0)
    while elapsed + step < absolute:
        clock.advance(step)
        elapsed += step
        assert _me(client, token) == 200, f"refused after {elapsed}"
    clock.advance(absolute - elapsed)
    assert _me(client, token) == 401


# -- CSRF ---------------------------------------------------------------------------


def test_every_write_route_refuses_a_cookie_session_without_the_csrf_token(
    admin: Actor, client: TestClient, container: Container
) -> None:
    """Walked over the app's own routes (API and admin UI), so a new write route is
    covered the moment it exists: the check is central (GuardedRoute), before the
    permission and the handler, and this fails if a route escapes it. Each refusal must
    be the CSRF check's own answer and write nothing; as a control, the same request
    with the token gets past it, or (device routes, whose permission no user holds) is
    refused by the permission check, which audits its refusals, where the CSRF
    refusal wrote no such entry."""
    client.cookies.clear()
    csrf = _login(client).json()["csrf_token"]  # the session cookie stays in the jar
    walked, failures = [], []
    for op in operations(client.app):  # type: ignore[arg-type]
        if op.method == "GET" or op.permission is None:
            continue
        url = op.url({p: random_id() for p in op.path_params})
        before = row_counts(container)
        response = client.request(op.method, url, follow_redirects=False)
        walked.append(str(op))
        if response.status_code != 403 or not _is_csrf_refusal(op.is_ui, response):
            failures.append(f"{op}: {response.status_code} {response.text[:80]}")
            continue
        if row_counts(container) != before:
            failures.append(f"{op}: the CSRF refusal wrote rows")
            continue
        with_token = client.request(
            op.method, url, headers={"X-CSRF-Token": csrf}, follow_redirects=False
        )
        if with_token.status_code == 403:
            audited = row_counts(container)["audit_log"] - before["audit_log"]
            if audited != 1:  # the one "authz.denied" entry of the permission check
                failures.append(f"{op}: 403 with the CSRF token too, but not the permission's")
        if client.get("/api/v1/auth/me").status_code != 200:  # that was a sign-out
            client.cookies.clear()
            csrf = _login(client).json()["csrf_token"]
    assert failures == [], "\n".join(failures)
    assert any(w.startswith("POST /ui/") for w in walked) and len(walked) > 30, walked
    assert client.get("/api/v1/auth/me").status_code == 200  # the session still works


def _is_csrf_refusal(ui: bool, response: Any) -> bool:
    """The CSRF check's answer: the UI's expired-form page, or the API's ``forbidden``."""
    if ui:
        return "This form has expired or came from another site" in response.text
    body = response.json()
    return isinstance(body, dict) and body.get("error", {}).get("code") == "forbidden"


def test_cookie_authenticated_write_needs_the_csrf_token(admin: Actor, client: TestClient) -> None:
    client.cookies.clear()
    login = _login(client)  # the cookie stays in the client's jar
    csrf = login.json()["csrf_token"]
    assert client.get("/api/v1/auth/me").status_code == 200  # safe methods need no token
    missing = client.post("/api/v1/sites", json={"name": "No CSRF"})
    assert missing.status_code == 403, missing.text
    other = csrf[:-1] + ("B" if csrf.endswith("A") else "A")  # always a different token
    wrong = client.post("/api/v1/sites", json={"name": "Bad CSRF"}, headers={"X-CSRF-Token": other})
    assert wrong.status_code == 403
    token_as_csrf = client.post(
        "/api/v1/sites",
        json={"name": "Token CSRF"},
        headers={"X-CSRF-Token": login.json()["token"]},
    )
    assert token_as_csrf.status_code == 403
    ok = client.post("/api/v1/sites", json={"name": "With CSRF"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201, ok.text
    # a CSRF token of another session does not fit this cookie
    client.cookies.clear()
    other = _login(client)
    stale = client.post(
        "/api/v1/sites", json={"name": "Stale CSRF"}, headers={"X-CSRF-Token": csrf}
    )
    assert stale.status_code == 403
    client.cookies.clear()
    names = {s["name"] for s in admin.get("/api/v1/sites").json()["items"]}
    assert "With CSRF" in names
    assert not names & {"No CSRF", "Bad CSRF", "Token CSRF", "Stale CSRF"}
    assert other.json()["csrf_token"] != csrf


def test_bearer_authenticated_write_needs_no_csrf_token(admin: Actor, client: TestClient) -> None:
    client.cookies.clear()
    response = admin.post("/api/v1/sites", json={"name": "Bearer Site"})
    assert response.status_code == 201, response.text
