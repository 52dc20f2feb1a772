"""BFLA: a role matrix over every route, for users, API keys and a device.

For each route (from the router) and each principal, the expected answer is what the
pure policy decides for that principal and the route's declared permission: 403 when
denied, anything but 401/403 when allowed. A hand-written table pins the sensitive
permissions, so a change to ``ROLE_PERMISSIONS`` that widens access fails here too
(SECURITY.md 13, API5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from gatepost.security.permissions import ROLE_PERMISSIONS, Permission, Role
from gatepost.security.policy import Principal, authorize
from tests.support.api import (
    STRONG_PASSWORD,
    Actor,
    add_device,
    add_site,
    add_user,
    call,
    container_of,
    login,
)
from tests.support.routes import Operation, body_model_name, operations, random_id
from tests.support.rows import row_counts

USER_ROLES = ("admin", "operator", "guard", "hr", "auditor")

# Who holds the sensitive permissions, written out by hand (not read from the code).
SENSITIVE: dict[Permission, set[Role]] = {
    Permission.PERSONS_REVEAL: {Role.ADMIN, Role.HR},
    Permission.AUDIT_READ: {Role.ADMIN, Role.AUDITOR},
    Permission.PLATFORM_TENANTS_MANAGE: set(),  # platform administrators only, by flag
    Permission.USERS_WRITE: {Role.ADMIN},
    Permission.USERS_READ: {Role.ADMIN, Role.AUDITOR},
    Permission.KEYS_MANAGE: {Role.ADMIN},
    Permission.SITES_WRITE: {Role.ADMIN},
    Permission.DEVICES_WRITE: {Role.ADMIN, Role.OPERATOR},
    Permission.PERSONS_WRITE: {Role.ADMIN, Role.OPERATOR, Role.HR},
    Permission.MEDIA_READ: {Role.ADMIN, Role.OPERATOR, Role.GUARD},
    Permission.DEVICE_EVENTS_WRITE: {Role.DEVICE},
    Permission.DEVICE_COMMANDS_READ: {Role.DEVICE},
    Permission.FACES_ENROL: {Role.ADMIN, Role.OPERATOR, Role.HR},
    Permission.FACES_IDENTIFY: {Role.ADMIN, Role.OPERATOR, Role.DEVICE},
    Permission.FACES_TEST: {Role.ADMIN, Role.OPERATOR},  # the UI test shows people
    Permission.PLATES_READ: {Role.ADMIN, Role.OPERATOR, Role.DEVICE},
    # The gate log: where known cars were, when (HR has no business there).
    Permission.PLATE_READS_READ: {Role.ADMIN, Role.OPERATOR, Role.GUARD, Role.AUDITOR},
    Permission.PLATES_TEST: {Role.ADMIN, Role.OPERATOR},  # the UI test shows vehicles
    Permission.TENANT_SETTINGS_WRITE: {Role.ADMIN},
    Permission.VEHICLES_WRITE: {Role.ADMIN, Role.OPERATOR},
    Permission.VEHICLES_READ: {Role.ADMIN, Role.OPERATOR, Role.GUARD, Role.AUDITOR},
    # Access rules, who holds which levels and credentials: administrators change them.
    Permission.ACCESS_RULES_WRITE: {Role.ADMIN},
    Permission.PERSON_ACCESS_WRITE: {Role.ADMIN},
    Permission.CREDENTIALS_WRITE: {Role.ADMIN},
    # The muster list names who is on site now: those who run an evacuation.
    Permission.PRESENCE_READ: {Role.ADMIN, Role.OPERATOR, Role.GUARD},
    Permission.CREDENTIALS_READ: {Role.ADMIN, Role.OPERATOR, Role.HR, Role.AUDITOR},
    # Remote open, lockdown and release of doors: those on watch, and administrators.
    Permission.ACCESS_POINTS_OPERATE: {Role.ADMIN, Role.GUARD},
    # Alerts (duress, blocked, watch list): those on watch read and acknowledge them.
    Permission.ALERTS_READ: {Role.ADMIN, Role.OPERATOR, Role.GUARD, Role.AUDITOR},
    Permission.ALERTS_WRITE: {Role.ADMIN, Role.OPERATOR, Role.GUARD},
    # Webhooks send the tenant's events elsewhere: administrators set them up.
    Permission.WEBHOOKS_READ: {Role.ADMIN, Role.AUDITOR},
    Permission.WEBHOOKS_WRITE: {Role.ADMIN},
}

# The only operations a device credential may perform (SECURITY.md 13): post events,
# arrivals and frames, ask who is at the door (1:N) or whether it is the claimed person
# (1:1), and read the plates at a gate.
DEVICE_OPERATIONS = {
    ("POST", "/api/v1/device/arrivals"),
    ("POST", "/api/v1/device/events"),
    ("POST", "/api/v1/device/snapshots"),
    ("POST", "/api/v1/faces/identify"),
    ("POST", "/api/v1/persons/{person_id}/faces/verify"),
    ("POST", "/api/v1/plates/read"),
}


@pytest.mark.parametrize("permission", sorted(SENSITIVE))
def test_sensitive_permissions_are_held_only_by_expected_roles(permission: Permission) -> None:
    holders = {role for role, granted in ROLE_PERMISSIONS.items() if permission in granted}
    assert holders == SENSITIVE[permission]


@dataclass
class Caller:
    label: str
    actor: Actor
    principal: Principal
    username: str | None = None

    def for_op(self, op: Operation) -> Actor:
        """The actor to call ``op`` with; a sign-out gets a fresh session of its own."""
        if self.username is None or not op.path.endswith("/logout"):
            return self.actor
        slug = self.actor.get("/api/v1/tenant").json()["slug"]
        token = login(self.actor.client, slug, self.username, STRONG_PASSWORD)
        return Actor(self.actor.client, token, self.actor.tenant_id, self.actor.id)


def _callers(admin: Actor) -> list[Caller]:
    container = container_of(admin)
    actors: list[tuple[str, Actor]] = [("platform-admin", admin)]
    usernames = {"platform-admin": "admin"}
    for role in USER_ROLES:
        usernames[f"user:{role}"] = f"{role}-person"
        actors.append((f"user:{role}", add_user(admin, role, username=f"{role}-person")))
    for role in USER_ROLES:
        issued = admin.post("/api/v1/api-keys", json={"name": f"{role} key", "role": role})
        assert issued.status_code == 201, issued.text
        body = issued.json()
        actors.append(
            (
                f"api_key:{role}",
                Actor(admin.client, body["token"], admin.tenant_id, body["id"], role),
            )
        )
    actors.append(("device", add_device(admin, add_site(admin, "Matrix site"))))
    callers = []
    for label, actor in actors:
        principal = container.auth.authenticate(actor.token)
        kind, _, role = label.partition(":")
        expected_kind = {"platform-admin": "user", "device": "device"}.get(kind, kind)
        assert principal.kind.value == expected_kind, label
        assert principal.role.value == (role or ("admin" if kind == "platform-admin" else "device"))
        assert principal.platform_admin == (label == "platform-admin"), label
        assert principal.tenant_id == admin.tenant_id
        callers.append(Caller(label, actor, principal, usernames.get(label)))
    return callers


def _parts(op: Operation) -> dict[str, Any]:
    """A deliberately useless body: allowed calls fail validation or find nothing."""
    if body_model_name(op) is not None:
        return {"json": {}}
    return {}


@pytest.mark.parametrize("area", ["api", "ui"])
def test_role_matrix_holds_on_every_route_for_every_principal(admin: Actor, area: str) -> None:
    """Split by area (API and web UI) only so that the halves can run in parallel."""
    callers = _callers(admin)
    every = [op for op in operations(admin.client.app) if not op.is_public]  # type: ignore[arg-type]
    assert len(every) >= 25
    ops = [op for op in every if op.is_ui == (area == "ui")]
    assert ops
    failures: list[str] = []
    denied: dict[str, int] = {}
    device_allowed = set()
    for op in ops:
        assert op.permission is not None
        url = op.url({name: random_id() for name in op.path_params})
        for caller in callers:
            allowed = authorize(caller.principal, op.permission).allowed
            response = call(caller.for_op(op), op.method, url, **_parts(op))
            status = response.status_code
            if allowed and status in (401, 403):
                failures.append(
                    f"{caller.label} {op}: allowed but got {status} {response.text[:80]}"
                )
            elif not allowed and status != 403:
                failures.append(
                    f"{caller.label} {op}: denied but got {status} {response.text[:80]}"
                )
            elif not allowed and not op.is_ui:
                assert response.json()["error"]["code"] == "forbidden"
            if not allowed:
                denied[caller.principal.actor] = denied.get(caller.principal.actor, 0) + 1
            elif caller.label == "device":
                device_allowed.add((op.method, op.path))
            if status >= 500:
                failures.append(f"{caller.label} {op}: server error {status}")
    assert failures == [], "\n".join(failures)
    # Devices post events and snapshots (and may read their own commands), nothing else.
    assert device_allowed == (DEVICE_OPERATIONS if area == "api" else set())
    # Every denial was audited with the caller and the permission (SECURITY.md 23).
    audited: dict[str, int] = {}
    cursor = None
    while True:
        params: dict[str, Any] = {"action": "authz.denied", "limit": 200}
        if cursor:
            params["cursor"] = cursor
        page = admin.get("/api/v1/audit", params=params).json()
        for entry in page["items"]:
            assert entry["outcome"] == "denied"
            assert entry["details"]["permission"] in {p.value for p in Permission}
            audited[entry["actor"]] = audited.get(entry["actor"], 0) + 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert audited == denied


def _created_rows(admin: Actor) -> dict[str, int]:
    """The rows an escalation would create (tenants, their keys, users, API keys, and
    what the device test tries); refusals only add audit entries."""
    counts = row_counts(container_of(admin))
    kinds = ("tenants", "tenant_keys", "users", "api_keys", "persons", "devices", "sites")
    return {name: counts[name] for name in kinds}


def test_device_credential_cannot_act_as_user_when_presented_anywhere(admin: Actor) -> None:
    device = add_device(admin, add_site(admin))
    before = _created_rows(admin)
    for method, path, body in (
        ("GET", "/api/v1/auth/me", None),
        ("GET", "/api/v1/persons", None),
        ("GET", "/api/v1/events", None),
        ("POST", "/api/v1/persons", {"name": "Injected"}),
        ("POST", "/api/v1/devices", {"site_id": random_id(), "name": "x", "kind": "camera"}),
        ("POST", "/api/v1/api-keys", {"name": "escalate", "role": "admin"}),
    ):
        response = call(device, method, path, json=body) if body else call(device, method, path)
        assert response.status_code == 403, f"{method} {path}: {response.status_code}"
    assert _created_rows(admin) == before, "a refused request created rows"


def test_users_cannot_post_device_events_when_role_is_admin(admin: Actor) -> None:
    event = {
        "idempotency_key": "k1",
        "kind": "door.opened",
        "occurred_at": container_of(admin).clock.now().isoformat(),
    }
    response = admin.post("/api/v1/device/events", json={"events": [event]})
    assert response.status_code == 403
    key = admin.post("/api/v1/api-keys", json={"name": "admin key", "role": "admin"}).json()
    as_key = Actor(admin.client, key["token"], admin.tenant_id)
    assert as_key.post("/api/v1/device/events", json={"events": [event]}).status_code == 403


def test_tenant_admin_without_platform_flag_cannot_manage_tenants(admin: Actor) -> None:
    tenant_admin = add_user(admin, "admin", username="second-admin")
    assert tenant_admin.get("/api/v1/tenants").status_code == 403
    before = _created_rows(admin)
    created = tenant_admin.post("/api/v1/tenants", json={"name": "Evil", "slug": "evil"})
    assert created.status_code == 403
    assert _created_rows(admin) == before, "the refused tenant was created"
    assert admin.get("/api/v1/tenants").status_code == 200


def test_lower_roles_cannot_escalate_through_users_or_keys(admin: Actor) -> None:
    for role in ("operator", "guard", "hr", "auditor"):
        user = add_user(admin, role, username=f"{role}-climber")
        before = _created_rows(admin)
        grab_role = user.patch(f"/api/v1/users/{user.id}", json={"role": "admin"})
        assert grab_role.status_code == 403, role
        new_user = user.post(
            "/api/v1/users",
            json={
                "username": f"{role}-sock",
                "password": "Tangerine-Lighthouse-47",
                "role": "admin",
            },
        )
        assert new_user.status_code == 403, role
        new_key = user.post("/api/v1/api-keys", json={"name": "mine", "role": "admin"})
        assert new_key.status_code == 403, role
        assert _created_rows(admin) == before, f"{role}: a refused request created rows"
        assert admin.get(f"/api/v1/users/{user.id}").json()["role"] == role
