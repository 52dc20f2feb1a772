"""Device credentials: separate from users, scoped to one device, stored hashed,
rotatable and revocable at once (SECURITY.md 20)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from gatepost.domain.ports import FixedClock
from gatepost.security.tokens import TokenKind, parse_token
from gatepost.services.container import Container
from tests.support.api import Actor, add_device, add_site, add_user
from tests.support.leaks import remember


def _events(device: Actor, clock: FixedClock, *keys: str) -> Any:
    return device.post(
        "/api/v1/device/events",
        json={
            "events": [
                {
                    "idempotency_key": key,
                    "kind": "access.granted",
                    "occurred_at": clock.now().isoformat(),
                }
                for key in keys
            ]
        },
    )


def _as(device: Actor, token: str) -> Actor:
    return Actor(device.client, token, device.tenant_id, id=device.id, role="device")


def test_device_credential_is_a_device_token(admin: Actor) -> None:
    device = add_device(admin, add_site(admin))
    parsed = parse_token(device.token)
    assert parsed is not None and parsed.kind is TokenKind.DEVICE
    assert parsed.tenant_id == admin.tenant_id


def test_device_credential_cannot_act_as_a_user(admin: Actor) -> None:
    device = add_device(admin, add_site(admin))
    assert device.get("/api/v1/auth/me").status_code == 403
    assert device.post("/api/v1/auth/logout").status_code == 403
    assert device.get("/api/v1/persons").status_code == 403
    login = device.client.post(
        "/api/v1/auth/login",
        json={"tenant": "acme", "username": device.id, "password": device.token[:1024]},
    )
    assert login.status_code in (401, 422)


def test_user_and_api_key_cannot_post_device_events(admin: Actor, clock: FixedClock) -> None:
    operator = add_user(admin, "operator", "ops-user")
    key = admin.post("/api/v1/api-keys", json={"name": "integration", "role": "admin"})
    assert key.status_code == 201, key.text
    remember(key.json()["token"])
    integration = Actor(admin.client, key.json()["token"], admin.tenant_id)
    for caller in (admin, operator, integration):
        assert _events(caller, clock, "u-1").status_code == 403
        files = {"file": ("f.png", b"\x89PNG\r\n\x1a\n", "image/png")}
        assert caller.post("/api/v1/device/snapshots", files=files).status_code == 403
    assert admin.get("/api/v1/events").json()["items"] == []


def test_device_events_are_attributed_to_the_posting_device_only(
    admin: Actor, clock: FixedClock
) -> None:
    north, south = add_site(admin, "North"), add_site(admin, "South")
    gate_n = add_device(admin, north, "Gate N")
    gate_s = add_device(admin, south, "Gate S")
    assert _events(gate_n, clock, "same-key", "n-only").status_code == 200
    assert _events(gate_s, clock, "same-key").json()[0]["stored"] is True
    spoof = gate_n.post(
        "/api/v1/device/events",
        json={
            "events": [
                {
                    "idempotency_key": "spoof",
                    "kind": "access.granted",
                    "occurred_at": clock.now().isoformat(),
                    "device_id": gate_s.id,
                    "site_id": south,
                }
            ]
        },
    )
    assert spoof.status_code == 422
    events = admin.get("/api/v1/events").json()["items"]
    assert len(events) == 3
    assert sorted(e["device_id"] for e in events) == sorted([gate_n.id, gate_n.id, gate_s.id])
    for event in events:
        expected_site = north if event["device_id"] == gate_n.id else south
        assert event["site_id"] == expected_site
    only_n = admin.get("/api/v1/events", params={"device_id": gate_n.id}).json()["items"]
    assert {e["device_id"] for e in only_n} == {gate_n.id} and len(only_n) == 2


def test_device_credential_is_stored_only_hashed(admin: Actor, container: Container) -> None:
    device = add_device(admin, add_site(admin))
    secret = device.token.split("_", 2)[2]
    with container.db.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM devices")).all()
    dumped = "\n".join(
        bytes(v).hex() + "\n" + bytes(v).decode("latin-1")
        if isinstance(v, bytes | memoryview)
        else str(v)
        for row in rows
        for v in row
    )
    assert device.token not in dumped and secret not in dumped
    assert hashlib.sha256(device.token.encode()).hexdigest() in dumped
    listed = admin.get("/api/v1/devices").text + admin.get(f"/api/v1/devices/{device.id}").text
    assert secret not in listed
    assert hashlib.sha256(device.token.encode()).hexdigest() not in listed


def test_rotating_a_device_credential_invalidates_the_old_one(
    admin: Actor, clock: FixedClock
) -> None:
    device = add_device(admin, add_site(admin))
    assert _events(device, clock, "before").status_code == 200
    rotated = admin.post(f"/api/v1/devices/{device.id}/rotate-credential")
    assert rotated.status_code == 200, rotated.text
    new_token = rotated.json()["credential"]
    remember(new_token)
    assert new_token != device.token
    assert _events(device, clock, "old-cred").status_code == 401
    assert _events(_as(device, new_token), clock, "new-cred").status_code == 200


def test_revoked_device_is_refused_immediately(admin: Actor, clock: FixedClock) -> None:
    site = add_site(admin)
    revoked, other = add_device(admin, site, "Gate A"), add_device(admin, site, "Gate B")
    assert _events(revoked, clock, "ok-1").status_code == 200
    assert admin.post(f"/api/v1/devices/{revoked.id}/revoke").status_code == 200
    assert _events(revoked, clock, "after-1").status_code == 401
    files = {"file": ("f.png", b"\x89PNG\r\n\x1a\n", "image/png")}
    assert revoked.post("/api/v1/device/snapshots", files=files).status_code == 401
    assert _events(other, clock, "ok-2").status_code == 200
    again = admin.post(f"/api/v1/devices/{revoked.id}/rotate-credential")
    assert again.status_code == 409
    assert _events(revoked, clock, "after-2").status_code == 401


def test_device_credential_of_another_tenant_is_not_accepted_here(
    admin: Actor, client: TestClient
) -> None:
    device = add_device(admin, add_site(admin))
    forged = device.token.replace(admin.tenant_id, "f" * 32, 1)
    response = client.post(
        "/api/v1/device/events",
        headers={"Authorization": f"Bearer {forged}"},
        json={"events": []},
    )
    assert response.status_code == 401


def test_device_last_seen_is_recorded_at_most_once_a_minute(
    admin: Actor, clock: FixedClock
) -> None:
    device = add_device(admin, add_site(admin))
    assert _events(device, clock, "seen-1").status_code == 200
    first = admin.get(f"/api/v1/devices/{device.id}").json()["last_seen_at"]
    assert first is not None
    clock.advance(timedelta(seconds=30))
    assert _events(device, clock, "seen-2").status_code == 200
    assert admin.get(f"/api/v1/devices/{device.id}").json()["last_seen_at"] == first
    clock.advance(timedelta(seconds=31))
    assert _events(device, clock, "seen-3").status_code == 200
    later = admin.get(f"/api/v1/devices/{device.id}").json()["last_seen_at"]
    assert later is not None and later > first


def test_api_key_last_use_is_recorded(admin: Actor, clock: FixedClock) -> None:
    issued = admin.post("/api/v1/api-keys", json={"name": "reporting", "role": "auditor"})
    assert issued.status_code == 201, issued.text
    remember(issued.json()["token"])
    integration = Actor(admin.client, issued.json()["token"], admin.tenant_id)

    def last_used() -> Any:
        (key,) = [k for k in admin.get("/api/v1/api-keys").json() if k["name"] == "reporting"]
        return key["last_used_at"]

    assert last_used() is None
    assert integration.get("/api/v1/audit").status_code == 200
    first = last_used()
    assert first is not None
    clock.advance(timedelta(minutes=2))
    assert integration.get("/api/v1/audit").status_code == 200
    assert last_used() > first


def test_device_principal_carries_the_devices_site(
    admin: Actor, container: Container, clock: FixedClock
) -> None:
    """A device's request knows where the device stands without a second look."""
    site_id = add_site(admin)
    device = add_device(admin, site_id)
    principal = container.auth.authenticate(device.token)
    assert (principal.id, principal.tenant_id, principal.site_id) == (
        device.id,
        admin.tenant_id,
        site_id,
    )
    assert principal.access_point_id is None
