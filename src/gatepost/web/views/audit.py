"""The audit log (newest first, ``seq`` as the cursor) and its chain verification."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.security.audit_chain import ChainEntry, UnreadableEntry
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
from gatepost.services.audit import VerifyReport
from gatepost.services.container import Container
from gatepost.services.pages import Page
from gatepost.web.errors import is_htmx
from gatepost.web.forms import optional, page_limit
from gatepost.web.lookups import user_names
from gatepost.web.rendering import render

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)


def _seq(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**62 else None


def _entries(
    container: Container, principal: Principal, *, action: str | None, cursor: str, limit: int
) -> Page[ChainEntry | UnreadableEntry]:
    return container.audit.page(principal, limit=limit, before_seq=_seq(cursor), action=action)


def _page(
    request: Request,
    principal: Principal,
    container: Container,
    *,
    action: str = "",
    cursor: str = "",
    limit: str = "",
    report: VerifyReport | None = None,
) -> Response:
    wanted = optional(action, 60)
    context = {
        "active": "audit",
        "page": _entries(
            container, principal, action=wanted, cursor=cursor, limit=page_limit(limit)
        ),
        "action": wanted or "",
        "actors": user_names(container, principal),
        "report": report,
        "pagination_params": {"action": wanted},
    }
    return render(request, "pages/audit.html", context)


@router.get("/audit", dependencies=[require(Permission.AUDIT_READ)])
def audit_log(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    action: str = "",
    cursor: str = "",
    limit: str = "",
) -> Response:
    return _page(request, principal, container, action=action, cursor=cursor, limit=limit)


@router.post("/audit/verify", dependencies=[require(Permission.AUDIT_READ)])
def verify(request: Request, principal: CurrentPrincipal, container: ContainerDep) -> Response:
    report = container.audit.verify(tenant_id=principal.tenant_id)
    if is_htmx(request):
        return render(request, "partials/audit_verify.html", {"report": report})
    return _page(request, principal, container, report=report)
