"""Route coverage: every route declares one access rule and answers 401 without login.

The routes are generated from the app itself (``app.routes``, flattened through included
routers, and the app's own OpenAPI document), never from a hand list, so a new route is
covered the moment it exists (SECURITY.md 1, 4; STYLE.md 8). The route walk itself
lives in ``tests/support/routes.py``, shared with the other ``tests/security`` modules.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Mount
from starlette.websockets import WebSocket

from gatepost.api.app import undeclared_routes
from gatepost.api.deps import GuardedRoute, public, require
from gatepost.app import compose_app
from gatepost.errors import ConfigError
from gatepost.security.kek import create_key_file
from gatepost.security.permissions import Permission
from gatepost.services.container import Container, build_container
from gatepost.settings import Environment, Settings
from tests.support.api import Actor
from tests.support.routes import (
    METHODS,
    Operation,
    anonymous_client,
    flat_routes,
    openapi_operations,
    operations,
    random_id,
)

# The only routes anyone may call without logging in (SECURITY.md 1). Web UI pages
# may add their own sign-in, first-run setup and invitation pages under /ui, and
# nothing else. An invitation's check and acceptance are public like setup: the
# one-time token in the body is the credential (docs/security.md, "Invitations").
PUBLIC_API = {
    ("GET", "/health"),
    ("GET", "/api/v1/setup"),
    ("POST", "/api/v1/setup"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/invitations/check"),
    ("POST", "/api/v1/invitations/accept"),
}
PUBLIC_DOCS = {("GET", "/api/openapi.json"), ("GET", "/docs")}
PUBLIC_UI_PAGE = re.compile(r"^/ui/(login|setup|invite|language)/?$")


# -- helpers -------------------------------------------------------------------------


def _redirects_to_sign_in(response: Any) -> bool:
    return response.status_code in (302, 303, 307) and response.headers.get(
        "location", ""
    ).startswith("/ui/login")


@pytest.fixture
def bare_container(tmp_path: Path) -> Iterator[Container]:
    """A container for building apps only: its (unmigrated) database is never queried."""
    settings = Settings(
        env="test",
        data_dir=tmp_path / "data",
        db={"url": f"sqlite:///{tmp_path}/bare.db"},
        server={"allowed_hosts": ["testserver"]},
    )
    create_key_file(settings.key_file)
    built = build_container(settings)
    yield built
    built.close()


# -- access rules ----------------------------------------------------------------------


def test_every_route_declares_exactly_one_access_rule_when_app_built(
    bare_container: Container,
) -> None:
    app = compose_app(bare_container)
    assert undeclared_routes(app) == []
    ops = operations(app)
    assert len(ops) >= 30, "the route walk found too few routes to be the real app"
    bad = [str(op) for op in ops if not isinstance(op.route, GuardedRoute) or len(op.rules) != 1]
    assert bad == []


def test_every_route_is_guarded_or_the_static_mount_when_listed(
    bare_container: Container,
) -> None:
    other = [
        f"{type(route).__name__} {path}"
        for path, route in flat_routes(compose_app(bare_container))
        if not isinstance(route, GuardedRoute)
        and not (isinstance(route, Mount) and path == "/static")
    ]
    assert other == []


def _rogue_plain_app_route(app: FastAPI) -> None:
    @app.get("/api/v1/rogue")
    def rogue() -> dict[str, str]:
        return {"leak": "yes"}


def _rogue_plain_router(app: FastAPI) -> None:
    router = APIRouter(prefix="/api/v1")

    @router.get("/rogue")
    def rogue() -> dict[str, str]:
        return {"leak": "yes"}

    app.include_router(router)


def _rogue_guarded_router_without_rule(app: FastAPI) -> None:
    router = APIRouter(prefix="/api/v1", route_class=GuardedRoute)

    @router.get("/rogue")
    def rogue() -> dict[str, str]:
        return {"leak": "yes"}

    app.include_router(router)


def _rogue_guarded_router_with_two_rules(app: FastAPI) -> None:
    router = APIRouter(prefix="/api/v1", route_class=GuardedRoute)

    @router.get("/rogue", dependencies=[public("oops"), require(Permission.AUDIT_READ)])
    def rogue() -> dict[str, str]:
        return {"leak": "yes"}

    app.include_router(router)


def _rogue_guarded_app_route_without_rule(app: FastAPI) -> None:
    def rogue() -> dict[str, str]:
        return {"leak": "yes"}

    app.router.add_api_route("/api/v1/rogue", rogue, route_class_override=GuardedRoute)


def _rogue_starlette_route(app: FastAPI) -> None:
    from starlette.responses import JSONResponse

    async def rogue(request: Any) -> JSONResponse:
        return JSONResponse({"leak": "yes"})

    app.add_route("/api/v1/rogue", rogue)


def _rogue_websocket(app: FastAPI) -> None:
    async def rogue(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json({"leak": "yes"})

    app.add_api_websocket_route("/api/v1/rogue", rogue)


ROGUES = {
    "plain-app-route": _rogue_plain_app_route,
    "plain-router": _rogue_plain_router,
    "guarded-router-no-rule": _rogue_guarded_router_without_rule,
    "guarded-router-two-rules": _rogue_guarded_router_with_two_rules,
    "guarded-app-route-no-rule": _rogue_guarded_app_route_without_rule,
    "starlette-route": _rogue_starlette_route,
    "websocket": _rogue_websocket,
}


@pytest.mark.parametrize("rogue", sorted(ROGUES))
def test_create_app_refuses_route_without_access_rule(
    rogue: str, bare_container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gatepost.web.app as web_app

    real_install = web_app.install_web

    def install_with_rogue(app: FastAPI) -> None:
        real_install(app)
        ROGUES[rogue](app)

    monkeypatch.setattr(web_app, "install_web", install_with_rogue)
    with pytest.raises(ConfigError, match="rogue"):
        compose_app(bare_container)


# -- public routes ---------------------------------------------------------------------


def _public_sets(app: FastAPI) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    public_ops = {(op.method, op.path) for op in operations(app) if op.is_public}
    ui = {op for op in public_ops if op[1].startswith("/ui")}
    return public_ops - ui, ui


def test_public_routes_are_only_health_login_and_setup_when_not_dev(
    bare_container: Container,
) -> None:
    api, ui = _public_sets(compose_app(bare_container))
    assert api == PUBLIC_API
    assert [op for op in ui if not PUBLIC_UI_PAGE.match(op[1])] == []
    assert {method for method, _ in ui} <= {"GET", "POST"}


def test_public_routes_add_only_docs_when_dev(bare_container: Container) -> None:
    settings = bare_container.settings.model_copy(update={"env": Environment.DEV})
    dev = dataclasses.replace(bare_container, settings=settings)
    api, _ = _public_sets(compose_app(dev))
    assert api == PUBLIC_API | PUBLIC_DOCS


def test_public_routes_answer_without_login(client: TestClient) -> None:
    anon = anonymous_client(client.app)
    assert anon.get("/health").status_code == 200
    assert anon.get("/api/v1/setup").status_code == 200
    # A bad body is a validation error, not a login demand, on the public writes.
    assert anon.post("/api/v1/setup", json={}).status_code == 422
    assert anon.post("/api/v1/auth/login", json={}).status_code == 422
    assert anon.post("/api/v1/invitations/check", json={}).status_code == 422
    assert anon.post("/api/v1/invitations/accept", json={}).status_code == 422


# -- 401 on everything else -------------------------------------------------------------

_BODIES: dict[str, dict[str, Any]] = {
    "no body": {},
    "malformed json": {"content": b'{"name": ', "headers": {"content-type": "application/json"}},
    "json object": {"json": {"tenant_id": random_id(), "role": "admin"}},
    "malformed multipart": {
        "content": b"--xyz\r\ngarbage without headers",
        "headers": {"content-type": "multipart/form-data; boundary=xyz"},
    },
    "multipart without boundary": {
        "content": b"zzz",
        "headers": {"content-type": "multipart/form-data"},
    },
}
_CREDENTIALS: dict[str, dict[str, Any]] = {
    "nothing": {},
    "bogus bearer": {"headers": {"authorization": "Bearer gps_" + "0" * 32 + "_" + "A" * 43}},
    "garbage bearer": {"headers": {"authorization": "Bearer \x7f not a token"}},
    "forged cookie": {"cookies": {"__Host-gatepost_session": "gps_" + "0" * 32 + "_" + "B" * 43}},
}


def _send(anon: TestClient, method: str, url: str, **parts: Any) -> Any:
    headers = {**parts.pop("headers", {})}
    cookies = parts.pop("cookies", None)
    anon.cookies.clear()
    if cookies:
        for name, value in cookies.items():
            anon.cookies.set(name, value)
    response = anon.request(method, url, headers=headers, follow_redirects=False, **parts)
    anon.cookies.clear()
    return response


def _refused(op_path: str, response: Any) -> bool:
    if response.status_code == 401:
        return True
    ui = op_path == "/ui" or op_path.startswith("/ui/")
    return ui and _redirects_to_sign_in(response)


def test_every_non_public_route_answers_401_without_credentials(
    client: TestClient, admin: Actor
) -> None:
    app = client.app
    ops = operations(app)  # type: ignore[arg-type]
    served = {(op.method, op.path) for op in ops}
    documented = openapi_operations(admin)
    assert documented <= served, "OpenAPI documents operations the router does not serve"
    public_ops = {(op.method, op.path) for op in ops if op.is_public}
    targets = sorted((documented | served) - public_ops)
    assert len(targets) >= 25
    by_key = {(op.method, op.path): op for op in ops}
    anon = anonymous_client(app)
    failures = []
    for method, path in targets:
        op = by_key[(method, path)]
        url = op.url({name: random_id() for name in op.path_params})
        for body_name, body in _BODIES.items():
            for cred_name, cred in _CREDENTIALS.items():
                if body_name != "no body" and (
                    cred_name != "nothing" or method in ("GET", "DELETE")
                ):
                    continue  # every body once, every credential without a body
                parts = {
                    **body,
                    **cred,
                    "headers": {**body.get("headers", {}), **cred.get("headers", {})},
                }
                response = _send(anon, method, url, **parts)
                if not _refused(path, response):
                    failures.append(
                        f"{method} {path} [{body_name}, {cred_name}] -> "
                        f"{response.status_code} {response.text[:120]}"
                    )
    assert failures == [], "\n".join(failures)


def test_text_bodies_are_refused_without_credentials(client: TestClient, admin: Actor) -> None:
    """A non-JSON body may be refused by type (415) first, but never served."""
    anon = anonymous_client(client.app)
    failures = []
    for op in operations(client.app):  # type: ignore[arg-type]
        if op.is_public or op.method in ("GET", "DELETE"):
            continue
        url = op.url({name: random_id() for name in op.path_params})
        for content_type in ("text/plain", "application/x-www-form-urlencoded"):
            response = _send(
                anon, op.method, url, content=b"a=b", headers={"content-type": content_type}
            )
            if not (_refused(op.path, response) or response.status_code == 415):
                failures.append(f"{op} [{content_type}] -> {response.status_code}")
    assert failures == [], "\n".join(failures)


def test_undeclared_methods_are_refused_without_credentials(client: TestClient) -> None:
    anon = anonymous_client(client.app)
    ops = operations(client.app)  # type: ignore[arg-type]
    declared: dict[str, set[str]] = {}
    for op in ops:
        declared.setdefault(op.path, set()).add(op.method)
    failures = []
    for path, methods in sorted(declared.items()):
        probe = Operation("GET", path, next(op.route for op in ops if op.path == path))
        url = probe.url({name: random_id() for name in probe.path_params})
        for method in set(METHODS) - methods:
            response = _send(anon, method, url)
            if not (_refused(path, response) or response.status_code in (404, 405)):
                failures.append(f"{method} {path} -> {response.status_code}")
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("env", [Environment.TEST, Environment.PRODUCTION])
def test_openapi_and_docs_need_login_when_not_dev(
    env: Environment, container: Container, admin: Actor
) -> None:
    built = dataclasses.replace(
        container, settings=container.settings.model_copy(update={"env": env})
    )
    app = compose_app(built)
    anon = anonymous_client(app)
    for path in ("/api/openapi.json", "/docs"):
        assert _send(anon, "GET", path).status_code == 401, path
        authed = _send(anon, "GET", path, headers=admin.headers)
        assert authed.status_code == 200, path
    # FastAPI's default locations are not served at all, nor are metrics.
    for path in ("/openapi.json", "/redoc", "/docs/oauth2-redirect", "/metrics"):
        assert _send(anon, "GET", path).status_code in (401, 404), path


def test_openapi_and_docs_are_public_when_dev(container: Container) -> None:
    dev = dataclasses.replace(
        container, settings=container.settings.model_copy(update={"env": Environment.DEV})
    )
    anon = anonymous_client(compose_app(dev))
    spec = _send(anon, "GET", "/api/openapi.json")
    assert spec.status_code == 200
    assert "/api/v1/persons" in spec.json()["paths"]
    assert _send(anon, "GET", "/docs").status_code == 200
    # Everything else still needs a login in dev.
    assert _send(anon, "GET", "/api/v1/persons").status_code == 401
