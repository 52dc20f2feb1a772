"""The admin console's rules for users, invitations and API keys, over HTTP against
the real app on SQLite and PostgreSQL (and the services directly where no role that
exists today could break a rule).

Nobody grants a role above their own (users, role changes, API keys, invitations); a
tenant administrator invites into their own tenant only, and the link works once and
expires; resetting someone's two-step turns it off and signs them out; an expired API
key is refused exactly like an unknown one, and a key's last use is written at most
once a minute.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pyotp
import pytest
from sqlalchemy import func, select

from gatepost.domain.ports import FixedClock
from gatepost.errors import Conflict, ValidationFailed
from gatepost.security.permissions import ROLE_PERMISSIONS, Permission, Role
from gatepost.security.policy import Principal, PrincipalKind
from gatepost.services.container import Container
from gatepost.store import tables
from tests.support.api import STRONG_PASSWORD, Actor, add_tenant, add_user, login
from tests.support.invitations import spent_invitations
from tests.support.leaks import remember
from tests.support.routes import anonymous_client

NEW_PASSWORD = "Marmalade-Orchestra-93"


# -- helpers -----------------------------------------------------------------------------


def _operator_principal(admin: Actor) -> Principal:
    return Principal(
        kind=PrincipalKind.USER,
        id="op",
        tenant_id=admin.tenant_id,
        role=Role.OPERATOR,
        name="op",
    )


@pytest.fixture
def operators_manage_users(monkeypatch: pytest.MonkeyPatch) -> None:
    """Operators also hold USERS_READ/USERS_WRITE for this test (no role below admin
    does today), so the API and UI paths of "above your own role" can be driven."""
    extra = frozenset({Permission.USERS_READ, Permission.USERS_WRITE})
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.OPERATOR, ROLE_PERMISSIONS[Role.OPERATOR] | extra)


def _count(container: Container, table: Any, tenant_id: str) -> int:
    with container.db.session() as session:
        count = session.scalar(
            select(func.count()).select_from(table).where(table.tenant_id == tenant_id)
        )
    return int(count or 0)


def _invite(actor: Actor, role: str = "guard", **body: Any) -> dict[str, Any]:
    response = actor.post("/api/v1/invitations", json={"role": role, **body})
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    remember(issued["token"], issued["token"].split("_", 2)[2], issued["link"])
    return issued


def _accept(actor: Actor, token: str, username: str = "gate-guard") -> Any:
    anon = anonymous_client(actor.client.app)
    body = {"token": token, "username": username, "password": NEW_PASSWORD}
    return anon.post("/api/v1/invitations/accept", json=body)


def _actions(actor: Actor) -> list[str]:
    return [e["action"] for e in actor.get("/api/v1/audit?limit=200").json()["items"]]


def _refused_role(response: Any) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == "role", error
    assert "above your own" in error["message"], error


# -- granting above one's own role --------------------------------------------------------


def test_service_refuses_granting_above_own_role_when_operator_grants_admin(
    admin: Actor, container: Container
) -> None:
    operator = _operator_principal(admin)
    users_before = _count(container, tables.User, admin.tenant_id)
    keys_before = _count(container, tables.ApiKey, admin.tenant_id)
    invitations_before = _count(container, tables.InvitationRow, admin.tenant_id)
    with pytest.raises(ValidationFailed) as created:
        container.users.create(operator, username="boss", password=STRONG_PASSWORD, role="admin")
    assert created.value.field == "role"
    with pytest.raises(ValidationFailed):
        container.users.create_api_key(operator, name="Sneaky", role="admin")
    with pytest.raises(ValidationFailed):
        container.invitations.create_in_own_tenant(operator, role="admin", hours=None)
    with pytest.raises(ValidationFailed):
        container.users.update(operator, admin.id, role="admin", disabled=None)
    assert _count(container, tables.User, admin.tenant_id) == users_before
    assert _count(container, tables.ApiKey, admin.tenant_id) == keys_before
    assert _count(container, tables.InvitationRow, admin.tenant_id) == invitations_before


def test_service_refuses_changing_a_user_above_own_role_when_operator_disables_admin(
    admin: Actor, container: Container
) -> None:
    operator = _operator_principal(admin)
    with pytest.raises(Conflict):
        container.users.update(operator, admin.id, role=None, disabled=True)
    with pytest.raises(Conflict):
        container.users.reset_two_step(operator, admin.id)
    assert container.users.get(operator, admin.id).disabled is False


@pytest.mark.usefixtures("operators_manage_users")
def test_api_refuses_granting_above_own_role_when_operator_manages_users(
    admin: Actor, container: Container
) -> None:
    operator = add_user(admin, "operator")
    guard = add_user(admin, "guard")
    users_before = _count(container, tables.User, admin.tenant_id)
    _refused_role(
        operator.post(
            "/api/v1/users",
            json={"username": "boss", "password": STRONG_PASSWORD, "role": "admin"},
        )
    )
    _refused_role(operator.post("/api/v1/api-keys", json={"name": "Sneaky", "role": "admin"}))
    _refused_role(operator.post("/api/v1/invitations", json={"role": "admin"}))
    _refused_role(operator.patch(f"/api/v1/users/{guard.id}", json={"role": "admin"}))
    demoted = operator.patch(f"/api/v1/users/{admin.id}", json={"disabled": True})
    assert demoted.status_code == 409, demoted.text
    assert _count(container, tables.User, admin.tenant_id) == users_before
    assert _count(container, tables.ApiKey, admin.tenant_id) == 0
    assert _count(container, tables.InvitationRow, admin.tenant_id) == 0
    assert admin.get(f"/api/v1/users/{guard.id}").json()["role"] == "guard"
    # Within their own role it works.
    made = operator.post("/api/v1/api-keys", json={"name": "Own", "role": "operator"})
    assert made.status_code == 201, made.text
    remember(made.json()["token"])


# -- invitations by a tenant administrator ------------------------------------------------


def test_pending_invitations_are_listed_past_many_spent_ones_when_paged(
    admin: Actor, container: Container, clock: FixedClock
) -> None:
    spent_invitations(container, tenant_id=admin.tenant_id, user_id=admin.id, count=250)
    pending = sorted(_invite(admin)["id"] for _ in range(3))
    first = container.invitations.list_pending(tenant_id=admin.tenant_id, limit=2, after=None)
    assert [i.id for i in first.items] == pending[:2]
    assert first.next_cursor == pending[1]
    rest = container.invitations.list_pending(
        tenant_id=admin.tenant_id, limit=2, after=first.next_cursor
    )
    assert ([i.id for i in rest.items], rest.next_cursor) == (pending[2:], None)
    clock.advance(timedelta(days=30))  # every link expired: none is pending
    assert not container.invitations.list_pending(
        tenant_id=admin.tenant_id, limit=50, after=None
    ).items


def test_tenant_admin_invitation_joins_own_tenant_when_accepted(
    admin: Actor, container: Container
) -> None:
    issued = _invite(admin, "guard", hours=2)
    assert issued["tenant_id"] == admin.tenant_id
    assert issued["role"] == "guard" and issued["state"] == "pending"
    listed = admin.get("/api/v1/invitations").json()["items"]
    assert [i["id"] for i in listed] == [issued["id"]]
    accepted = _accept(admin, issued["token"])
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["role"] == "guard"
    token = login(admin.client, "acme", "gate-guard", NEW_PASSWORD)
    guard = Actor(admin.client, token, admin.tenant_id, role="guard")
    assert guard.get("/api/v1/auth/me").json()["role"] == "guard"
    assert {"invitation.created", "invitation.used"} <= set(_actions(admin))


def test_tenant_admin_invitation_ignores_a_tenant_in_the_body_when_given(admin: Actor) -> None:
    other = add_tenant(admin, "globex")
    response = admin.post(
        "/api/v1/invitations", json={"role": "guard", "tenant_id": other.tenant_id}
    )
    assert response.status_code == 422, response.text
    assert other.get("/api/v1/invitations").json()["items"] == []


def test_invitation_is_refused_when_used_twice(admin: Actor, container: Container) -> None:
    issued = _invite(admin)
    assert _accept(admin, issued["token"]).status_code == 201
    users = _count(container, tables.User, admin.tenant_id)
    again = _accept(admin, issued["token"], username="second-guard")
    assert again.status_code == 409, again.text
    assert again.json()["error"]["code"] == "invitation_refused"
    assert "used" in again.json()["error"]["message"]
    assert _count(container, tables.User, admin.tenant_id) == users


def test_invitation_is_refused_when_expired(
    admin: Actor, container: Container, clock: FixedClock
) -> None:
    issued = _invite(admin, hours=1)
    clock.advance(timedelta(hours=1, seconds=1))
    users = _count(container, tables.User, admin.tenant_id)
    late = _accept(admin, issued["token"])
    assert late.status_code == 409, late.text
    assert "expired" in late.json()["error"]["message"]
    assert _count(container, tables.User, admin.tenant_id) == users


def test_invitation_is_refused_when_the_username_is_taken(
    admin: Actor, container: Container
) -> None:
    issued = _invite(admin)
    users = _count(container, tables.User, admin.tenant_id)
    taken = _accept(admin, issued["token"], username="admin")
    assert taken.status_code == 409, taken.text
    assert "username is taken" in taken.json()["error"]["message"]
    assert _count(container, tables.User, admin.tenant_id) == users
    # Nothing was spent: the invitee can choose another name.
    assert admin.get("/api/v1/invitations").json()["items"][0]["state"] == "pending"
    assert _accept(admin, issued["token"], username="gate-guard").status_code == 201


def test_tenant_admin_revokes_own_invitation_when_pending(admin: Actor) -> None:
    issued = _invite(admin)
    revoked = admin.post(f"/api/v1/invitations/{issued['id']}/revoke")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["state"] == "revoked"
    assert _accept(admin, issued["token"]).status_code == 409
    assert "invitation.revoked" in _actions(admin)


def test_tenant_admin_cannot_revoke_another_tenants_invitation_when_guessing_its_id(
    admin: Actor,
) -> None:
    other = add_tenant(admin, "globex")
    theirs = _invite(other)
    assert admin.post(f"/api/v1/invitations/{theirs['id']}/revoke").status_code == 404
    assert other.get("/api/v1/invitations").json()["items"][0]["state"] == "pending"


def test_auditor_lists_invitations_but_cannot_invite_when_reading_only(admin: Actor) -> None:
    auditor = add_user(admin, "auditor")
    _invite(admin)
    assert auditor.get("/api/v1/invitations").status_code == 200
    assert auditor.post("/api/v1/invitations", json={"role": "auditor"}).status_code == 403


# -- reset two-step -----------------------------------------------------------------------


def _enrol(actor: Actor, clock: FixedClock) -> None:
    begun = actor.post("/api/v1/auth/totp")
    assert begun.status_code == 200, begun.text
    secret = begun.json()["secret"]
    remember(secret)
    code = pyotp.TOTP(secret).at(clock.now())
    assert actor.post("/api/v1/auth/totp/confirm", json={"code": code}).status_code == 204


def test_reset_two_step_turns_it_off_and_signs_the_user_out_when_reset(
    admin: Actor, clock: FixedClock
) -> None:
    guard = add_user(admin, "guard")
    _enrol(guard, clock)
    assert admin.get(f"/api/v1/users/{guard.id}").json()["totp_enabled"] is True
    reset = admin.post(f"/api/v1/users/{guard.id}/reset-two-step")
    assert reset.status_code == 200, reset.text
    assert reset.json()["totp_enabled"] is False
    assert guard.get("/api/v1/auth/me").status_code == 401  # signed out everywhere
    login(admin.client, "acme", "guard-user", STRONG_PASSWORD)  # no code needed now
    assert "user.two_step_reset" in _actions(admin)


def test_reset_two_step_is_refused_when_resetting_oneself(admin: Actor) -> None:
    refused = admin.post(f"/api/v1/users/{admin.id}/reset-two-step")
    assert refused.status_code == 409, refused.text
    assert admin.get("/api/v1/auth/me").status_code == 200


def test_tenant_admin_cannot_change_a_platform_admin_when_not_one_themselves(
    admin: Actor, container: Container, clock: FixedClock
) -> None:
    other = add_user(admin, "admin", "second-admin")  # same role, no platform flag
    _enrol(admin, clock)
    refusals = [
        other.post(f"/api/v1/users/{admin.id}/reset-two-step"),
        other.patch(f"/api/v1/users/{admin.id}", json={"disabled": True}),
        other.patch(f"/api/v1/users/{admin.id}", json={"role": "guard"}),
        other.patch(f"/api/v1/users/{admin.id}", json={"require_totp": False}),
    ]
    for refused in refusals:
        assert refused.status_code == 409, refused.text
        assert "platform administrator" in refused.json()["error"]["message"]
    me = admin.get(f"/api/v1/users/{admin.id}").json()
    assert (me["role"], me["disabled"], me["totp_enabled"]) == ("admin", False, True)
    assert admin.get("/api/v1/auth/me").status_code == 200  # not signed out
    assert "user.two_step_reset" not in _actions(admin)
    # The platform administrator still manages the tenant's other administrators.
    changed = admin.patch(f"/api/v1/users/{other.id}", json={"role": "operator"})
    assert changed.status_code == 200, changed.text


# -- API keys: expiry and last use --------------------------------------------------------


def _key(admin: Actor, **body: Any) -> dict[str, Any]:
    response = admin.post("/api/v1/api-keys", json={"name": "HR sync", "role": "hr", **body})
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    remember(issued["token"])
    return issued


def test_expired_api_key_is_refused_like_an_unknown_one_when_past_expiry(
    admin: Actor, clock: FixedClock
) -> None:
    issued = _key(admin, expires_in_days=1)
    assert issued["expires_at"] is not None
    key = Actor(admin.client, issued["token"], admin.tenant_id)
    assert key.get("/api/v1/persons").status_code == 200
    revoked = _key(admin, name="Revoked")
    admin.post(f"/api/v1/api-keys/{revoked['id']}/revoke")
    clock.advance(timedelta(days=1, seconds=-1))
    assert key.get("/api/v1/persons").status_code == 200  # until its last second
    clock.advance(timedelta(seconds=1))
    expired = key.get("/api/v1/persons")
    unknown = Actor(admin.client, revoked["token"], admin.tenant_id).get("/api/v1/persons")
    assert expired.status_code == 401
    assert (expired.status_code, expired.content) == (unknown.status_code, unknown.content)


@pytest.mark.parametrize("days", [0, 731, -1])
def test_api_key_expiry_is_refused_when_out_of_range(admin: Actor, days: int) -> None:
    response = admin.post(
        "/api/v1/api-keys", json={"name": "HR sync", "role": "hr", "expires_in_days": days}
    )
    assert response.status_code == 422, response.text
    assert admin.get("/api/v1/api-keys").json() == []


def test_service_refuses_api_key_expiry_when_out_of_range(
    admin: Actor, container: Container
) -> None:
    principal = _operator_principal(admin)
    with pytest.raises(ValidationFailed) as refused:
        container.users.create_api_key(principal, name="x", role="operator", expires_in_days=731)
    assert refused.value.field == "expires_in_days"


def test_api_key_last_use_is_written_at_most_once_a_minute_when_used(
    admin: Actor, clock: FixedClock
) -> None:
    issued = _key(admin)
    assert issued["last_used_at"] is None and issued["expires_at"] is None
    key = Actor(admin.client, issued["token"], admin.tenant_id)

    def last_used() -> str | None:
        listed = {k["id"]: k for k in admin.get("/api/v1/api-keys").json()}
        value: str | None = listed[issued["id"]]["last_used_at"]
        return value

    key.get("/api/v1/persons")
    first = last_used()
    assert first is not None
    clock.advance(timedelta(seconds=30))
    key.get("/api/v1/persons")
    assert last_used() == first
    clock.advance(timedelta(seconds=61))
    key.get("/api/v1/persons")
    assert last_used() != first
