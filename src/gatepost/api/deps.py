"""Request dependencies: the container, the principal and per-route permissions.

Every route declares exactly one access rule in its ``dependencies``: ``require(P)``
for a permission, or ``public("why")`` for the few routes that need no login (health,
login, first-run setup). :class:`GuardedRoute` reads that rule and authenticates and
authorises *before* the request body is parsed, so an unauthenticated caller gets 401
on every route whatever it sends (and whatever method: a method that the path does not
serve is refused with 405 only after login, see :mod:`gatepost.api.methods`), and
``create_app`` refuses to build an app with a route that declares no rule (deny by
default, no exempt-path lists).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn

from fastapi import Depends, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from gatepost.api.json_bodies import require_utf8_json
from gatepost.api.methods import PathMethods, route_path, route_table
from gatepost.errors import MethodNotAllowed, PermissionDenied, Unauthenticated
from gatepost.security.csrf import csrf_valid
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal, authorize
from gatepost.services.audit import AuditRecord
from gatepost.services.container import Container

__all__ = [
    "SESSION_COOKIE",
    "AccessRule",
    "ContainerDep",
    "CurrentPrincipal",
    "GuardedRoute",
    "access_rule_of",
    "clear_session_cookie",
    "login_before_not_found",
    "public",
    "require",
    "set_session_cookie",
]

SESSION_COOKIE = "__Host-gatepost_session"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class AccessRule:
    permission: Permission | None
    reason: str = ""

    @property
    def is_public(self) -> bool:
        return self.permission is None


def _marked(rule: AccessRule) -> Callable[[Request], Any]:
    # async, like the other cheap dependencies here: FastAPI then calls it inline
    # instead of sending it to the thread pool (each trip costs a thread switch).
    async def dependency(request: Request) -> None:
        return None

    dependency.__gatepost_access__ = rule  # type: ignore[attr-defined]
    return dependency


def require(permission: Permission) -> Any:
    """Route dependency: the caller must hold ``permission``."""
    return Depends(_marked(AccessRule(permission)))


def public(reason: str) -> Any:
    """Route dependency: no login needed (health, login, first-run setup only)."""
    return Depends(_marked(AccessRule(None, reason)))


def access_rule_of(dependant: Dependant) -> list[AccessRule]:
    rules: list[AccessRule] = []
    for sub in dependant.dependencies:
        rule = getattr(sub.call, "__gatepost_access__", None)
        if isinstance(rule, AccessRule):
            rules.append(rule)
        rules.extend(access_rule_of(sub))
    return rules


def clear_session_cookie(response: Response) -> None:
    """Tell the browser to drop the session cookie."""
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True)


def set_session_cookie(response: Response, token: str, container: Container) -> None:
    """Put the session ``token`` in its cookie (host-only, HTTPS only, hidden from
    scripts, same-site strict) for the session's absolute lifetime."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(container.settings.security.session_absolute_hours * 3600),
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )


async def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def _presented_token(request: Request) -> tuple[str | None, bool]:
    """The token and whether it came from the session cookie."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), False
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return cookie, True
    return None, False


def authenticate_request(request: Request, container: Container) -> Principal:
    """Resolve the caller (no CSRF check here: see :func:`check_csrf`)."""
    token, from_cookie = _presented_token(request)
    if token is None:
        raise Unauthenticated()
    principal = container.auth.authenticate(token)
    request.state.session_token = token
    request.state.token_from_cookie = from_cookie
    return principal


async def check_csrf(request: Request) -> None:
    """Cookie-authenticated writes carry the session's CSRF token (header or form field).

    Runs after authentication, so an anonymous caller gets 401 whatever body it sends,
    and a body that is not a readable form simply has no token.
    """
    token = getattr(request.state, "session_token", None)
    from_cookie = getattr(request.state, "token_from_cookie", False)
    if not from_cookie or not isinstance(token, str) or request.method in _SAFE_METHODS:
        return
    presented = request.headers.get("x-csrf-token")
    content_type = request.headers.get("content-type", "")
    if presented is None and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        try:
            field = (await request.form()).get("csrf_token")
        except HTTPException:  # malformed form bodies: no token
            field = None
        presented = field if isinstance(field, str) else None
    if not csrf_valid(token, presented):
        raise PermissionDenied("csrf")


async def check_permission(
    container: Container, principal: Principal, permission: Permission
) -> None:
    """Allow or refuse; a refusal is audited (the only part that touches the database)."""
    if authorize(principal, permission).allowed:
        return
    await run_in_threadpool(
        container.audit.record_alone,
        tenant_id=principal.tenant_id,
        record=AuditRecord(
            actor=principal.actor,
            action="authz.denied",
            outcome="denied",
            details={"permission": permission.value},
        ),
    )
    raise PermissionDenied(permission.value)


class GuardedRoute(APIRoute):
    """An APIRoute that enforces its declared access rule before anything else."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        rules = access_rule_of(self.dependant)
        rule = rules[0] if len(rules) == 1 else None

        async def guarded(request: Request) -> Response:
            if rule is None:
                raise PermissionDenied("undeclared")
            if rule.permission is not None:
                container = await get_container(request)
                principal = await run_in_threadpool(authenticate_request, request, container)
                await check_csrf(request)
                await check_permission(container, principal, rule.permission)
                request.state.principal = principal
            await require_utf8_json(request)
            return await handler(request)

        return guarded

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve, or refuse a method that the path does not serve (:mod:`.methods`).

        The refusal is a 405 whose ``Allow`` names every method served at the path,
        given only after login where the path is not public, as on every route.
        """
        if scope["type"] == "http":
            refused = route_table(scope["app"]).refusal(self, scope)
            if refused is not None:
                await _refuse_method(Request(scope, receive), refused)
        await super().handle(scope, receive, send)


def _is_public(path: PathMethods) -> bool:
    return all(
        [rule.is_public for rule in access_rule_of(route.dependant)] == [True]
        for route in path.routes
    )


async def _refuse_method(request: Request, path: PathMethods) -> NoReturn:
    if not _is_public(path):
        container = await get_container(request)
        await run_in_threadpool(authenticate_request, request, container)
    raise MethodNotAllowed(path.methods)


def login_before_not_found(router: Router) -> ASGIApp:
    """The router's answer to a path no route matches: under ``/api/``, only after login.

    So an anonymous caller gets the same 401 for an API path that does not exist as
    for one that does, and cannot map the API by probing it. The redirect to a path's
    twin with or without a trailing slash (Starlette's ``redirect_slashes``, which would
    run before this and tell a caller which paths exist) comes here too, after login;
    the router must have ``redirect_slashes`` off.
    """

    async def default(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and route_path(scope).startswith("/api/"):
            request = Request(scope, receive)
            container = await get_container(request)
            await run_in_threadpool(authenticate_request, request, container)
        twin = _slash_twin(router, scope)
        if twin is not None:
            await RedirectResponse(url=twin)(scope, receive, send)
            return
        await router.not_found(scope, receive, send)

    return default


def _slash_twin(router: Router, scope: Scope) -> str | None:
    """The URL of the path with its trailing slash added or removed, when a route
    matches that one (what Starlette's ``redirect_slashes`` does); else None."""
    path = route_path(scope)
    if scope["type"] != "http" or path == "/":
        return None
    twin = dict(scope)
    twin["path"] = scope["path"].rstrip("/") if path.endswith("/") else scope["path"] + "/"
    if any(route.matches(twin)[0] is not Match.NONE for route in router.routes):
        return str(URL(scope=twin))
    return None


async def get_principal(request: Request) -> Principal:
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise Unauthenticated()
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
