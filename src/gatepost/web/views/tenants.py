"""Tenants (``/ui/tenants``), for platform administrators only: the operator's tenants,
a form to add one, and the "Invite first administrator" action, whose one-time link is
shown once with a copy button (``services.invitations``). Forms post and redirect;
only the copy button needs JavaScript (``static/invite.js``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.errors import Conflict, ValidationFailed
from gatepost.security.permissions import Permission
from gatepost.services.container import Container
from gatepost.web.forms import FormText, field_errors, optional, page_limit, sentence
from gatepost.web.rendering import render

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

PLATFORM = [require(Permission.PLATFORM_TENANTS_MANAGE)]
_FIELDS = {"name", "slug"}


def _list(
    request: Request,
    container: Container,
    *,
    cursor: str | None = None,
    limit: int = 50,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "active": "tenant",
        "page": container.tenants.list(limit=limit, after=cursor),
        "form": form or {"name": "", "slug": ""},
        "errors": errors or {},
        "invitation_hours": container.invitations.default_hours,
    }
    return render(request, "pages/tenants.html", context, status_code=status_code)


@router.get("/tenants", dependencies=PLATFORM)
def tenants(
    request: Request, container: ContainerDep, cursor: str = "", limit: str = ""
) -> Response:
    return _list(request, container, cursor=optional(cursor), limit=page_limit(limit))


@router.post("/tenants", dependencies=PLATFORM)
def create_tenant(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    name: FormText = "",
    slug: FormText = "",
) -> Response:
    form = {"name": name[:200], "slug": slug[:63]}
    try:
        container.tenants.create(principal, name=name, slug=slug)
    except ValidationFailed as exc:
        errors = field_errors(exc, known=_FIELDS)
        return _list(request, container, form=form, errors=errors, status_code=422)
    except Conflict as exc:
        errors = {"slug": sentence(exc.message)}
        return _list(request, container, form=form, errors=errors, status_code=409)
    return RedirectResponse("/ui/tenants?notice=tenant_created", status_code=303)


@router.post("/tenants/{tenant_id}/invitations", dependencies=PLATFORM)
def invite_administrator(
    request: Request, tenant_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    """A one-time link for the tenant's (first) administrator, shown on this page only."""
    tenant = container.tenants.get(tenant_id=tenant_id)  # 404 for an unknown tenant
    issued = container.invitations.create(
        principal, tenant_id=tenant.id, role="admin", hours=None, origin=str(request.base_url)
    )
    context = {
        "active": "tenant",
        "tenant": tenant,
        "invitation": issued.invitation,
        "link": issued.link,
    }
    return render(request, "pages/invitation_issued.html", context, status_code=201)
