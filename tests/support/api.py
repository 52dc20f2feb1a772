"""A thin client helper for driving the real app over HTTP in tests.

Also the few helpers that reach behind the client: the app's container and clock, and
an admin actor as the services see it (for calling them directly).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from gatepost.security.permissions import Role
from gatepost.security.policy import Principal, PrincipalKind
from gatepost.services.container import Container
from tests.support.leaks import remember

STRONG_PASSWORD = "Tangerine-Lighthouse-47"


@dataclass
class Actor:
    """Someone who can call the API: a user, an API key or a device."""

    client: TestClient
    token: str
    tenant_id: str
    id: str = ""
    role: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers=self.headers, **kw)

    def post(self, url: str, **kw: Any) -> Any:
        return self.client.post(url, headers=self.headers, **kw)

    def put(self, url: str, **kw: Any) -> Any:
        return self.client.put(url, headers=self.headers, **kw)

    def patch(self, url: str, **kw: Any) -> Any:
        return self.client.patch(url, headers=self.headers, **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        return self.client.delete(url, headers=self.headers, **kw)


def login(client: TestClient, tenant: str, username: str, password: str) -> str:
    response = client.post(
        "/api/v1/auth/login", json={"tenant": tenant, "username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    client.cookies.clear()
    token: str = response.json()["token"]
    remember(token)
    return token


def setup_platform(client: TestClient, container: Container, *, slug: str = "acme") -> Actor:
    """First-run setup through the API, then log the first administrator in."""
    token = container.setup.issue_token()
    response = client.post(
        "/api/v1/setup",
        json={
            "token": token,
            "tenant_name": slug.title() + " Ltd",
            "tenant_slug": slug,
            "username": "admin",
            "password": STRONG_PASSWORD,
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    session = login(client, slug, "admin", STRONG_PASSWORD)
    return Actor(client, session, body["tenant_id"], id=body["user_id"], role="admin")


def add_user(admin: Actor, role: str, username: str | None = None) -> Actor:
    username = username or f"{role}-user"
    response = admin.post(
        "/api/v1/users", json={"username": username, "password": STRONG_PASSWORD, "role": role}
    )
    assert response.status_code == 201, response.text
    slug = admin.get("/api/v1/tenant").json()["slug"]
    token = login(admin.client, slug, username, STRONG_PASSWORD)
    return Actor(admin.client, token, admin.tenant_id, id=response.json()["id"], role=role)


def add_tenant(platform_admin: Actor, slug: str) -> Actor:
    """A second tenant with its own administrator (created by the platform admin)."""
    container: Container = platform_admin.client.app.state.container  # type: ignore[attr-defined]
    response = platform_admin.post("/api/v1/tenants", json={"name": slug.title(), "slug": slug})
    assert response.status_code == 201, response.text
    tenant_id = response.json()["id"]
    acting = Principal(
        kind=PrincipalKind.USER,
        id="bootstrap",
        tenant_id=tenant_id,
        role=Role.ADMIN,
        name="bootstrap",
    )
    user = container.users.create(acting, username="admin", password=STRONG_PASSWORD, role="admin")
    token = login(platform_admin.client, slug, "admin", STRONG_PASSWORD)
    return Actor(platform_admin.client, token, tenant_id, id=user.id, role="admin")


def add_site(admin: Actor, name: str = "HQ") -> str:
    response = admin.post("/api/v1/sites", json={"name": name, "timezone": "Asia/Shanghai"})
    assert response.status_code == 201, response.text
    site_id: str = response.json()["id"]
    return site_id


def add_device(admin: Actor, site_id: str, name: str = "Gate 1") -> Actor:
    response = admin.post(
        "/api/v1/devices", json={"site_id": site_id, "name": name, "kind": "turnstile"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    remember(body["credential"])
    return Actor(admin.client, body["credential"], admin.tenant_id, id=body["id"], role="device")


def call(actor: Actor | None, method: str, url: str, **kw: Any) -> Any:
    """A request with the actor's bearer token (or none) merged into any extra headers."""
    client: TestClient = kw.pop("client", None) or actor.client  # type: ignore[union-attr]
    headers = {**(actor.headers if actor else {}), **kw.pop("headers", {})}
    return client.request(method, url, headers=headers, follow_redirects=False, **kw)


def container_of(actor: Actor) -> Container:
    """The container behind the app ``actor``'s client drives."""
    container: Container = actor.client.app.state.container  # type: ignore[attr-defined]
    return container


def now_iso(actor: Actor) -> str:
    """The app's clock, now, as ISO 8601 (for event ``occurred_at``)."""
    return container_of(actor).clock.now().isoformat()


def admin_principal(actor: Actor) -> Principal:
    """An admin ``actor`` as the services see it, for calling them directly."""
    return Principal(
        kind=PrincipalKind.USER,
        id=actor.id,
        tenant_id=actor.tenant_id,
        role=Role.ADMIN,
        name="admin",
    )
