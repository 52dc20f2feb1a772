"""Walking the app's routes, as the security suite does: generated, never a hand list.

The routes come from the app itself (``app.routes``, flattened through included
routers), so a new route is covered the moment it exists (SECURITY.md 1, 4; STYLE.md
8). Also here: the anonymous client the suite probes with, the OpenAPI operation
set, a random id for path parameters, and a route's body model name.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from gatepost.api.deps import AccessRule, access_rule_of
from gatepost.security.permissions import Permission
from tests.support.api import Actor

__all__ = [
    "BASE_URL",
    "METHODS",
    "Operation",
    "anonymous_client",
    "body_model_name",
    "flat_routes",
    "openapi_operations",
    "operations",
    "random_id",
]

BASE_URL = "https://testserver"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")


def flat_routes(app: FastAPI) -> list[tuple[str, BaseRoute]]:
    """Every route of ``app`` with its effective path, through included routers.

    FastAPI >= 0.16x keeps included routers as lazy wrappers in ``app.routes``;
    ``iter_route_contexts`` resolves them to the original route objects.
    """
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI copies routes into app.routes
        return [(getattr(r, "path", ""), r) for r in app.routes]
    result = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        path = context.path if isinstance(route, APIRoute) else getattr(route, "path", "")
        result.append((path or getattr(route, "path", ""), route))
    return result


@dataclass(frozen=True)
class Operation:
    """One (method, path) of the app and the route that serves it."""

    method: str
    path: str
    route: APIRoute

    @property
    def rules(self) -> list[AccessRule]:
        return access_rule_of(self.route.dependant)

    @property
    def rule(self) -> AccessRule:
        (rule,) = self.rules
        return rule

    @property
    def permission(self) -> Permission | None:
        return self.rule.permission

    @property
    def is_public(self) -> bool:
        return self.rule.is_public

    @property
    def path_params(self) -> list[str]:
        return _PARAM.findall(self.path)

    @property
    def is_ui(self) -> bool:
        return self.path == "/ui" or self.path.startswith("/ui/")

    def url(self, ids: dict[str, str]) -> str:
        return _PARAM.sub(lambda m: ids[m.group(1)], self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def operations(app: FastAPI) -> list[Operation]:
    """Every (method, path) the app serves through an ``APIRoute``, sorted by path."""
    ops = []
    for path, route in flat_routes(app):
        if isinstance(route, APIRoute):
            for method in sorted(route.methods or ()):
                ops.append(Operation(method, path, route))
    return sorted(ops, key=lambda op: (op.path, op.method))


def random_id() -> str:
    """A well-formed id that names no object."""
    return uuid.uuid4().hex


def anonymous_client(app: Any) -> TestClient:
    """A client with no cookies and no token; server errors come back as 500s."""
    return TestClient(app, base_url=BASE_URL, raise_server_exceptions=False)


def openapi_operations(actor: Actor) -> set[tuple[str, str]]:
    """The (method, path) pairs the app's OpenAPI document lists, as ``actor`` sees it."""
    response = actor.get("/api/openapi.json")
    assert response.status_code == 200, response.text
    return {
        (method.upper(), path)
        for path, item in response.json()["paths"].items()
        for method in item
        if method.upper() in METHODS
    }


def body_model_name(op: Operation) -> str | None:
    """The class name of ``op``'s request body model, or None if it takes no body."""
    params = op.route.dependant.body_params
    if not params:
        return None
    annotation = params[0].field_info.annotation
    return getattr(annotation, "__name__", None)
