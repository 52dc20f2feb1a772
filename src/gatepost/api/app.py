"""create_app(container): the FastAPI application with the API routes, deny-by-default.

Every route must declare an access rule (``require`` or ``public``); building the app
fails otherwise. OpenAPI and the docs page need a login outside ``dev``. The admin UI is
not part of it: the composition root (:mod:`gatepost.app`) mounts it on this app and
runs :func:`refuse_undeclared_routes` again.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import Mount

from gatepost import __version__
from gatepost.api.deps import (
    GuardedRoute,
    access_rule_of,
    login_before_not_found,
    public,
    require,
)
from gatepost.api.errors import install_error_handlers
from gatepost.api.middleware import BodyLimitMiddleware, SecurityHeadersMiddleware
from gatepost.api.routes import (
    access_point_commands,
    access_rules,
    alerts,
    audit,
    auth,
    devices,
    events,
    faces,
    health,
    invitations,
    media,
    notification_subscribers,
    person_access,
    persons,
    plate_reads,
    plates,
    presence,
    tenants,
    users,
    vehicles,
    webhooks,
)
from gatepost.errors import ConfigError
from gatepost.security.permissions import Permission
from gatepost.services.container import Container

__all__ = ["create_app", "refuse_undeclared_routes", "undeclared_routes"]

STATIC_DIR = Path(__file__).resolve().parent.parent / "web" / "static"

_DOCS_HTML = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>gatepost API</title><link rel="stylesheet" href="/static/swagger/swagger-ui.css">
</head><body><div id="swagger-ui"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script src="/static/swagger/init.js"></script></body></html>"""


def undeclared_routes(app: FastAPI) -> list[str]:
    """Routes that bypass the guard or declare no access rule (or more than one).

    Walks the effective routes, including those of included routers (which FastAPI
    keeps behind lazy wrappers in ``app.routes``). The only non-API route allowed is
    the static-asset mount.
    """
    bad = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        where = f"{sorted(context.methods or ())} {context.path}"
        if isinstance(route, Mount) and route.name == "static":
            continue
        if not isinstance(route, GuardedRoute) or len(access_rule_of(route.dependant)) != 1:
            bad.append(where)
    return bad


def refuse_undeclared_routes(app: FastAPI) -> None:
    """Raise ConfigError naming every route without exactly one access rule."""
    if bad := undeclared_routes(app):
        raise ConfigError(f"routes without an access rule: {', '.join(bad)}")


def _docs_router(docs_public: bool) -> APIRouter:
    rule = public("docs are public in dev") if docs_public else require(Permission.TENANT_READ)
    router = APIRouter(route_class=GuardedRoute, include_in_schema=False)

    @router.get("/api/openapi.json", dependencies=[rule])
    def openapi_json() -> JSONResponse:
        return JSONResponse(_app_ref["app"].openapi())

    @router.get("/docs", dependencies=[rule])
    def docs() -> HTMLResponse:
        return HTMLResponse(_DOCS_HTML)

    _app_ref: dict[str, Any] = {}
    router.app_ref = _app_ref  # type: ignore[attr-defined]
    return router


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # What exists once the app starts (modules, models, the container) lives as long as
    # the process: take it out of the cyclic collector's scans. Otherwise every full
    # collection walks that whole heap, and requests stalled ~70 ms when one ran.
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def create_app(container: Container) -> FastAPI:
    settings = container.settings
    app = FastAPI(
        lifespan=_lifespan,
        title="gatepost",
        version=__version__,
        summary="Privacy-first access control for people and vehicles.",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.container = container
    for module in (
        health,
        auth,
        tenants,
        invitations,
        users,
        persons,
        vehicles,
        plates,
        plate_reads,
        faces,
        devices,
        events,
        audit,
        media,
        access_rules,
        access_point_commands,
        person_access,
        presence,
        alerts,
        webhooks,
        notification_subscribers,
    ):
        app.include_router(module.router)
    docs = _docs_router(settings.docs_public)
    docs.app_ref["app"] = app  # type: ignore[attr-defined]
    app.include_router(docs)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.router.redirect_slashes = False  # redirected after login instead (deps)
    app.router.default = login_before_not_found(app.router)

    install_error_handlers(app)
    app.add_middleware(
        BodyLimitMiddleware,
        max_json=settings.security.max_json_bytes,
        max_upload=settings.media.max_upload_bytes,
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.server.allowed_hosts)
    refuse_undeclared_routes(app)
    return app
