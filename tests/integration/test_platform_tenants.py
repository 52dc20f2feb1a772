"""The platform operator's levers on a tenant: suspend / resume and crypto-shredding
(``services.tenants``), over the API, the CLI and the services, on SQLite and
PostgreSQL.

A suspended tenant's users cannot sign in (the answer is the wrong-password answer),
its sessions, API keys and device tokens are refused, its devices leave the broker's
accounts and the gateway's key lookup, its invitations cannot be accepted, and its data
stays; resuming restores all of it. Shredding needs the tenant's slug typed exactly: a
mismatch changes nothing, a match destroys the keys. Neither lever works on the
operator's own tenant. The real broker's side: test_platform_tenants_mqtt.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gatepost.domain.ports import FixedClock
from gatepost.errors import Conflict, KeyShredded
from gatepost.services.broker_accounts import RecordingBrokerAccounts
from gatepost.services.container import Container
from gatepost.settings import Settings
from gatepost.store.tables import AuditEntry, InvitationRow, TenantKey
from tests.support.api import (
    STRONG_PASSWORD,
    Actor,
    add_device,
    add_site,
    add_tenant,
    admin_principal,
)
from tests.support.cli import run_cli
from tests.support.leaks import remember
from tests.support.routes import anonymous_client

NEW_PASSWORD = "Marmalade-Orchestra-93"
_LEVERS = ("tenant.suspended", "tenant.resumed")


@pytest.fixture
def container(accounts_container: Container) -> Container:
    """The container that records the broker's account refreshes (tests/conftest.py)."""
    return accounts_container


# -- helpers -----------------------------------------------------------------------------


def _login(client: TestClient, tenant: str, password: str = STRONG_PASSWORD) -> Any:
    response = anonymous_client(client.app).post(
        "/api/v1/auth/login", json={"tenant": tenant, "username": "admin", "password": password}
    )
    if response.status_code == 200:
        remember(response.json()["token"])
    return response


def _api_key(actor: Actor) -> Actor:
    response = actor.post("/api/v1/api-keys", json={"name": "integration", "role": "operator"})
    assert response.status_code == 201, response.text
    remember(response.json()["token"])
    return Actor(actor.client, response.json()["token"], actor.tenant_id)


def _device_events(device: Actor, clock: FixedClock, key: str) -> Any:
    event = {
        "idempotency_key": key,
        "kind": "access.granted",
        "occurred_at": clock.now().isoformat(),
    }
    return device.post("/api/v1/device/events", json={"events": [event]})


def _suspend(admin: Actor, tenant_id: str, action: str = "suspend") -> Any:
    return admin.post(f"/api/v1/tenants/{tenant_id}/{action}")


def _actions(container: Container, tenant_id: str) -> list[str]:
    with container.db.session() as session:
        query = select(AuditEntry.action).where(AuditEntry.tenant_id == tenant_id)
        return list(session.scalars(query.order_by(AuditEntry.seq)))


def _keys(container: Container, tenant_id: str) -> int:
    with container.db.session() as session:
        query = select(func.count()).select_from(TenantKey).where(TenantKey.tenant_id == tenant_id)
        return int(session.scalar(query) or 0)


def _invitations(container: Container, tenant_id: str) -> int:
    with container.db.session() as session:
        query = (
            select(func.count())
            .select_from(InvitationRow)
            .where(InvitationRow.tenant_id == tenant_id)
        )
        return int(session.scalar(query) or 0)


def _person(actor: Actor, name: str) -> str:
    response = actor.post("/api/v1/persons", json={"name": name, "phone": "+8613811112222"})
    assert response.status_code == 201, response.text
    person_id: str = response.json()["id"]
    return person_id


# -- suspension --------------------------------------------------------------------------


def test_suspension_refuses_sessions_api_keys_and_devices_until_resumed(
    admin: Actor, clock: FixedClock, container: Container
) -> None:
    beta = add_tenant(admin, "beta")
    person = _person(beta, "Ada Lovelace")
    key = _api_key(beta)
    device = add_device(beta, add_site(beta))
    assert beta.get("/api/v1/auth/me").status_code == 200
    assert key.get("/api/v1/persons").status_code == 200
    assert _device_events(device, clock, "before").status_code == 200

    suspended = _suspend(admin, beta.tenant_id)
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["suspended_at"] is not None
    assert beta.get("/api/v1/auth/me").status_code == 401
    assert key.get("/api/v1/persons").status_code == 401
    assert _device_events(device, clock, "during").status_code == 401
    assert _login(admin.client, "beta").status_code == 401
    assert admin.get("/api/v1/auth/me").status_code == 200  # the operator is untouched

    resumed = _suspend(admin, beta.tenant_id, "resume")
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["suspended_at"] is None
    assert beta.get("/api/v1/auth/me").status_code == 200
    assert key.get("/api/v1/persons").status_code == 200
    assert _device_events(device, clock, "after").status_code == 200
    assert _login(admin.client, "beta").status_code == 200
    # The data stayed, readable, all along.
    assert beta.get(f"/api/v1/persons/{person}").json()["name"] == "Ada Lovelace"


def test_suspended_tenant_login_fails_like_a_wrong_password(admin: Actor) -> None:
    beta = add_tenant(admin, "beta")
    assert _suspend(admin, beta.tenant_id).status_code == 200
    right = _login(admin.client, "beta")
    wrong = _login(admin.client, "acme", STRONG_PASSWORD + "x")
    wrong_here = _login(admin.client, "beta", STRONG_PASSWORD + "x")
    for answer in (right, wrong_here):
        assert answer.status_code == wrong.status_code == 401
        assert answer.json() == wrong.json()
        assert answer.headers.get("www-authenticate") == wrong.headers.get("www-authenticate")
        assert "set-cookie" not in answer.headers


def test_suspension_is_audited_in_the_tenants_and_the_operators_log(
    admin: Actor, container: Container
) -> None:
    beta = add_tenant(admin, "beta")
    assert _suspend(admin, beta.tenant_id).status_code == 200
    assert _suspend(admin, beta.tenant_id).status_code == 200  # again: nothing new
    assert _suspend(admin, beta.tenant_id, "resume").status_code == 200
    for tenant_id in (admin.tenant_id, beta.tenant_id):
        levers = [a for a in _actions(container, tenant_id) if a in _LEVERS]
        assert levers == ["tenant.suspended", "tenant.resumed"], tenant_id


def test_suspended_tenants_devices_leave_the_broker_and_the_gateway_until_resumed(
    admin: Actor, container: Container, accounts: RecordingBrokerAccounts
) -> None:
    beta = add_tenant(admin, "beta")
    device = add_device(beta, add_site(beta))
    own = add_device(admin, add_site(admin))
    listed = {a.tenant_id for a in accounts.refreshes[-1]}
    assert listed == {admin.tenant_id, beta.tenant_id}
    assert container.devices.mac_key(tenant_id=beta.tenant_id, device_id=device.id) is not None

    assert _suspend(admin, beta.tenant_id).status_code == 200
    assert [(a.tenant_id, getattr(a, "device_id", None)) for a in accounts.refreshes[-1]] == [
        (admin.tenant_id, own.id)
    ]
    assert container.devices.mac_key(tenant_id=beta.tenant_id, device_id=device.id) is None

    assert _suspend(admin, beta.tenant_id, "resume").status_code == 200
    assert {a.tenant_id for a in accounts.refreshes[-1]} == {admin.tenant_id, beta.tenant_id}
    assert container.devices.mac_key(tenant_id=beta.tenant_id, device_id=device.id) is not None


def test_suspended_tenants_invitation_cannot_be_accepted_until_resumed(admin: Actor) -> None:
    beta = add_tenant(admin, "beta")
    issued = admin.post(f"/api/v1/tenants/{beta.tenant_id}/invitations", json={})
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    remember(token, token.split("_", 2)[2], issued.json()["link"])
    anon = anonymous_client(admin.client.app)
    body = {"token": token, "username": "second-admin", "password": NEW_PASSWORD}
    assert _suspend(admin, beta.tenant_id).status_code == 200
    assert anon.post("/api/v1/invitations/check", json={"token": token}).status_code == 409
    refused = anon.post("/api/v1/invitations/accept", json=body)
    assert refused.status_code == 409, refused.text
    assert _suspend(admin, beta.tenant_id, "resume").status_code == 200
    accepted = anon.post("/api/v1/invitations/accept", json=body)
    assert accepted.status_code == 201, accepted.text


def test_invitation_into_a_suspended_tenant_is_refused_until_resumed(
    admin: Actor, container: Container
) -> None:
    beta = add_tenant(admin, "beta")
    assert _suspend(admin, beta.tenant_id).status_code == 200
    refused = admin.post(f"/api/v1/tenants/{beta.tenant_id}/invitations", json={})
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["message"] == "this tenant is suspended"
    with pytest.raises(Conflict):  # the command line's path
        container.invitations.create_for_slug(actor="cli:operator", slug="beta", hours=None)
    assert _invitations(container, beta.tenant_id) == 0
    assert "invitation.created" not in _actions(container, beta.tenant_id)
    assert _suspend(admin, beta.tenant_id, "resume").status_code == 200
    issued = admin.post(f"/api/v1/tenants/{beta.tenant_id}/invitations", json={})
    assert issued.status_code == 201, issued.text
    remember(issued.json()["token"], issued.json()["token"].split("_", 2)[2])
    assert _invitations(container, beta.tenant_id) == 1


def test_own_tenant_cannot_be_suspended_or_shredded(admin: Actor, container: Container) -> None:
    suspend = _suspend(admin, admin.tenant_id)
    assert suspend.status_code == 409, suspend.text
    assert "own tenant" in suspend.json()["error"]["message"]
    shred = admin.post(f"/api/v1/tenants/{admin.tenant_id}/shred", json={"confirm": "acme"})
    assert shred.status_code == 409, shred.text
    assert "own tenant" in shred.json()["error"]["message"]
    assert admin.get("/api/v1/auth/me").status_code == 200
    assert _keys(container, admin.tenant_id) == 4


def test_cli_suspends_and_resumes_a_tenant(
    admin: Actor, container: Container, settings: Settings
) -> None:
    beta = add_tenant(admin, "beta")
    result = run_cli(settings, "tenants", "suspend", "beta")
    assert result.exit_code == 0, result.output
    assert beta.get("/api/v1/auth/me").status_code == 401
    assert "tenant.suspended" in _actions(container, admin.tenant_id)  # the operator's log
    listed = run_cli(settings, "tenants", "list")
    assert "suspended" in listed.output
    result = run_cli(settings, "tenants", "resume", "beta")
    assert result.exit_code == 0, result.output
    assert beta.get("/api/v1/auth/me").status_code == 200
    unknown = run_cli(settings, "tenants", "suspend", "nobody")
    assert unknown.exit_code != 0


# -- crypto-shredding ----------------------------------------------------------------------


def test_shred_with_a_mismatched_slug_changes_nothing(admin: Actor, container: Container) -> None:
    beta = add_tenant(admin, "beta")
    person = _person(beta, "Grace Hopper")
    before = _actions(container, admin.tenant_id)
    for typed in ("BETA", "bet", " beta", "acme", ""):
        refused = admin.post(f"/api/v1/tenants/{beta.tenant_id}/shred", json={"confirm": typed})
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["field"] == "confirm"
    assert _keys(container, beta.tenant_id) == 4
    assert _actions(container, admin.tenant_id) == before
    # The keys still decrypt: the name reads back, in this process and a fresh one.
    assert beta.get(f"/api/v1/persons/{person}").json()["name"] == "Grace Hopper"
    container.keys.forget()
    assert container.persons.get(admin_principal(beta), person).name == "Grace Hopper"


def test_shred_with_the_slug_makes_sealed_data_unreadable(
    admin: Actor, container: Container
) -> None:
    beta = add_tenant(admin, "beta")
    person = _person(beta, "Grace Hopper")
    mine = _person(admin, "Alan Turing")
    shredded = admin.post(f"/api/v1/tenants/{beta.tenant_id}/shred", json={"confirm": "beta"})
    assert shredded.status_code == 200, shredded.text
    assert shredded.json() == {"id": beta.tenant_id, "keys_destroyed": 4}
    assert _keys(container, beta.tenant_id) == 0
    assert "keys.tenant_shredded" in _actions(container, admin.tenant_id)
    with pytest.raises(KeyShredded):
        container.persons.get(admin_principal(beta), person)
    assert beta.get("/api/v1/auth/me").status_code == 401
    assert container.persons.get(admin_principal(admin), mine).name == "Alan Turing"
    listed = admin.get("/api/v1/tenants").json()["items"]
    assert next(t for t in listed if t["id"] == beta.tenant_id)["keys_shredded_at"] is not None
    again = admin.post(f"/api/v1/tenants/{beta.tenant_id}/shred", json={"confirm": "beta"})
    assert again.status_code == 409, again.text
