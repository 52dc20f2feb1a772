"""TOTP: enrolment, required at login, no replay (SECURITY.md 19); a right password
without the right code answers exactly like a wrong password (SECURITY.md 17)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import text

from gatepost.domain.ports import FixedClock
from gatepost.security.totp import verify_totp
from gatepost.services.container import Container
from tests.support.api import STRONG_PASSWORD, Actor, add_user
from tests.support.leaks import remember

STEP = timedelta(seconds=30)


def _login(client: TestClient, code: str | None = None) -> Any:
    body: dict[str, Any] = {"tenant": "acme", "username": "admin", "password": STRONG_PASSWORD}
    if code is not None:
        body["totp"] = code
    response = client.post("/api/v1/auth/login", json=body)
    client.cookies.clear()
    return response


def _wrong_password(client: TestClient) -> Any:
    body = {"tenant": "acme", "username": "admin", "password": STRONG_PASSWORD + "-wrong"}
    response = client.post("/api/v1/auth/login", json=body)
    client.cookies.clear()
    return response


def _answer(response: Any) -> tuple[int, bytes, list[tuple[str, str]]]:
    """Status, body and headers (none of them vary per request here)."""
    return response.status_code, response.content, sorted(response.headers.items())


def _enrol(admin: Actor, clock: FixedClock) -> pyotp.TOTP:
    begun = admin.post("/api/v1/auth/totp")
    assert begun.status_code == 200, begun.text
    secret = begun.json()["secret"]
    remember(secret)
    assert secret in begun.json()["uri"]
    totp = pyotp.TOTP(secret)
    confirmed = admin.post("/api/v1/auth/totp/confirm", json={"code": totp.at(clock.now())})
    assert confirmed.status_code == 204, confirmed.text
    return totp


def test_login_requires_a_totp_code_once_enrolled(
    admin: Actor, client: TestClient, clock: FixedClock
) -> None:
    totp = _enrol(admin, clock)
    missing = _login(client)
    assert missing.status_code == 401
    assert _answer(missing) == _answer(_wrong_password(client))
    assert "set-cookie" not in missing.headers
    wrong = _login(client, "000000" if totp.at(clock.now()) != "000000" else "111111")
    assert wrong.status_code == 401
    clock.advance(STEP)
    ok = _login(client, totp.at(clock.now()))
    assert ok.status_code == 200, ok.text


def test_right_password_without_the_right_code_answers_like_a_wrong_password(
    admin: Actor, client: TestClient, clock: FixedClock
) -> None:
    """Status, body and every header byte for byte: nothing says the password was right."""
    totp = _enrol(admin, clock)
    clock.advance(STEP)
    wrong_code = "000000" if totp.at(clock.now()) != "000000" else "111111"
    wrong = _answer(_wrong_password(client))
    assert wrong[0] == 401
    assert _answer(_login(client)) == wrong, "a missing code is answered differently"
    assert _answer(_login(client, wrong_code)) == wrong, "a wrong code is answered differently"
    assert _answer(_login(client, "")) == wrong
    assert _login(client, totp.at(clock.now())).status_code == 200


def test_right_password_without_the_code_counts_towards_the_throttle(
    admin: Actor, client: TestClient, container: Container, clock: FixedClock
) -> None:
    totp = _enrol(admin, clock)
    clock.advance(STEP)
    for _ in range(container.settings.security.login_max_failures):
        assert _login(client).status_code == 401
    throttled = _login(client, totp.at(clock.now()))
    assert throttled.status_code == 429, "attempts without a code were not counted"


def test_web_sign_in_with_right_password_without_the_right_code_shows_the_same_page(
    admin: Actor, client: TestClient, clock: FixedClock
) -> None:
    """One form (the code field is always there, optional) and one page for every
    failure, byte for byte; the form's CSRF token stays the same within one browser."""
    totp = _enrol(admin, clock)
    clock.advance(STEP)
    client.cookies.clear()
    page = client.get("/ui/login")
    assert 'id="login-totp"' in page.text, "the sign-in form has no code field"
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {"tenant": "acme", "username": "admin", "csrf_token": token.group(1)}

    def attempt(password: str, code: str) -> tuple[int, bytes, list[tuple[str, str]]]:
        response = client.post(
            "/ui/login", data={**form, "password": password, "totp": code}, follow_redirects=False
        )
        return _answer(response)

    wrong_code = "000000" if totp.at(clock.now()) != "000000" else "111111"
    wrong = attempt(STRONG_PASSWORD + "-wrong", "")
    assert wrong[0] == 401 and b'id="login-totp"' in wrong[1]
    assert attempt(STRONG_PASSWORD, "") == wrong, "a missing code is answered differently"
    assert attempt(STRONG_PASSWORD, wrong_code) == wrong, "a wrong code is answered differently"
    assert attempt(STRONG_PASSWORD + "-wrong", wrong_code) == wrong
    signed_in = client.post(
        "/ui/login",
        data={**form, "password": STRONG_PASSWORD, "totp": totp.at(clock.now())},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303


def test_totp_code_cannot_be_replayed(admin: Actor, client: TestClient, clock: FixedClock) -> None:
    totp = _enrol(admin, clock)
    confirm_code = totp.at(clock.now())
    assert _login(client, confirm_code).status_code == 401, "the enrolment code was reused"
    clock.advance(STEP)
    code = totp.at(clock.now())
    assert _login(client, code).status_code == 200
    replay = _login(client, code)
    assert replay.status_code == 401, replay.text
    clock.advance(STEP)
    assert _login(client, code).status_code == 401, "an older step was accepted after use"
    next_code = totp.at(clock.now())
    assert _login(client, next_code).status_code == 200
    assert _login(client, next_code).status_code == 401


def test_totp_code_from_two_steps_ago_is_refused(
    admin: Actor, client: TestClient, clock: FixedClock
) -> None:
    totp = _enrol(admin, clock)
    clock.advance(STEP * 3)
    # Move on until the stale code differs from the ones still accepted (it can coincide,
    # about once in 500 000 steps), so the check never passes by chance nor skips.
    while totp.at(clock.now() - STEP * 2) in (totp.at(clock.now()), totp.at(clock.now() - STEP)):
        clock.advance(STEP)
    stale = totp.at(clock.now() - STEP * 2)
    assert _login(client, stale).status_code == 401


def test_totp_secret_is_stored_sealed(
    admin: Actor, container: Container, clock: FixedClock
) -> None:
    totp = _enrol(admin, clock)
    with container.db.engine.connect() as conn:
        sealed = conn.execute(
            text("SELECT totp_sealed FROM users WHERE id = :id"), {"id": admin.id}
        ).scalar_one()
    raw = bytes(sealed)
    assert totp.secret.encode() not in raw
    assert len(raw) > len(totp.secret)


def test_starting_a_new_enrolment_does_not_switch_totp_off(
    admin: Actor, client: TestClient, clock: FixedClock
) -> None:
    """Someone holding only a session must not be able to drop the second factor."""
    _enrol(admin, clock)
    clock.advance(STEP)
    restarted = admin.post("/api/v1/auth/totp")
    if restarted.status_code == 200:
        remember(restarted.json()["secret"])
    without_code = _login(client)
    assert without_code.status_code == 401, "TOTP was switched off without a code"
    assert _answer(without_code) == _answer(_wrong_password(client))


def test_administrator_can_require_totp(
    admin: Actor, client: TestClient, clock: FixedClock
) -> None:
    user = add_user(admin, "operator", "must-enrol")
    response = admin.patch(f"/api/v1/users/{user.id}", json={"require_totp": True})
    assert response.status_code == 200, response.text
    assert response.json()["totp_enforced"] is True
    # until enrolled, the user's sessions may only enrol
    assert user.get("/api/v1/persons").status_code == 403
    assert user.post("/api/v1/sites", json={"name": "Not Yet"}).status_code == 403
    assert user.get("/api/v1/auth/me").status_code == 200
    totp = _enrol(user, clock)
    assert user.get("/api/v1/persons").status_code == 200
    body = {"tenant": "acme", "username": "must-enrol", "password": STRONG_PASSWORD}
    without = client.post("/api/v1/auth/login", json=body)
    assert without.status_code == 401
    assert without.json()["error"]["code"] == "unauthenticated"
    clock.advance(STEP)
    with_code = client.post("/api/v1/auth/login", json={**body, "totp": totp.at(clock.now())})
    client.cookies.clear()
    assert with_code.status_code == 200, with_code.text


# -- the verifier itself ------------------------------------------------------------


def test_verify_totp_accepts_current_and_previous_step_only_once() -> None:
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    now = datetime(2030, 1, 1, 12, 0, 15, tzinfo=UTC)
    step = int(now.timestamp()) // 30
    assert verify_totp(secret, totp.at(now), now=now, last_step=None) == step
    assert verify_totp(secret, totp.at(now), now=now, last_step=step) is None
    previous = totp.at(now - STEP)
    assert verify_totp(secret, previous, now=now, last_step=None) == step - 1
    assert verify_totp(secret, previous, now=now, last_step=step - 1) is None
    assert verify_totp(secret, totp.at(now + STEP), now=now, last_step=None) is None
    for bad in ("", "12345", "1234567", "12345a", " 123456"):
        assert verify_totp(secret, bad, now=now, last_step=None) is None


def test_a_time_step_is_spent_once_even_if_read_before_it_was_spent(
    admin: Actor, container: Container
) -> None:
    """Two logins that both read the last step before either wrote it: the database
    check lets only one of them spend the step."""
    ids = {"tenant_id": admin.tenant_id, "user_id": admin.id}
    with container.tx.write() as uow:
        assert uow.accounts.advance_totp_step(**ids, step=1000)
        assert not uow.accounts.advance_totp_step(**ids, step=1000)
        assert not uow.accounts.advance_totp_step(**ids, step=999)
        assert uow.accounts.advance_totp_step(**ids, step=1001)
    with container.tx.read() as uow:
        stored = uow.accounts.stored_user(**ids)
    assert stored is not None and stored.totp_last_step == 1001
    assert stored.password_hash not in repr(stored), "the stored record shows the hash"
