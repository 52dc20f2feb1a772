"""Tenants (``/ui/tenants``), for platform administrators only: the operator's tenants
(state and number of users), a form to add one, and per tenant the "Invite first
administrator" action, whose one-time link is shown once with a copy button
(``services.invitations``), suspend / resume (a confirmation dialog), and the
crypto-shred page (``/ui/tenants/{id}/shred``), which takes the tenant's slug typed
exactly. Forms post and redirect; only the copy button needs JavaScript
(``static/invite.js``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.errors import Conflict, ValidationFailed
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
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
    problem: str = "",
    status_code: int = 200,
) -> Response:
    context = {
        "active": "tenant",
        "page": container.tenants.summaries(limit=limit, after=cursor),
        "form": form or {"name": "", "slug": ""},
        "errors": errors or {},
        "problem": problem,
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
        errors = {"slug": sentence(exc)}
        return _list(request, container, form=form, errors=errors, status_code=409)
    return RedirectResponse("/ui/tenants?notice=tenant_created", status_code=303)


@router.post("/tenants/{tenant_id}/invitations", dependencies=PLATFORM)
def invite_administrator(
    request: Request, tenant_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    """A one-time link for the tenant's (first) administrator, shown on this page only."""
    tenant = container.tenants.get(tenant_id=tenant_id)  # 404 for an unknown tenant
    try:
        issued = container.invitations.create(
            principal, tenant_id=tenant.id, role="admin", hours=None, origin=str(request.base_url)
        )
    except Conflict as exc:  # suspended (or shredded) meanwhile
        return _list(request, container, problem=sentence(exc), status_code=409)
    context = {
        "active": "tenant",
        "tenant": tenant,
        "invitation": issued.invitation,
        "link": issued.link,
    }
    return render(request, "pages/invitation_issued.html", context, status_code=201)


@router.post("/tenants/{tenant_id}/suspend", dependencies=PLATFORM)
def suspend_tenant(
    request: Request, tenant_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    """Suspend the tenant (not one's own): its users, keys and devices are refused."""
    try:
        container.tenants.suspend(principal, tenant_id=tenant_id)
    except Conflict as exc:
        return _list(request, container, problem=sentence(exc), status_code=409)
    return RedirectResponse("/ui/tenants?notice=tenant_suspended", status_code=303)


@router.post("/tenants/{tenant_id}/resume", dependencies=PLATFORM)
def resume_tenant(
    request: Request, tenant_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    try:
        container.tenants.resume(principal, tenant_id=tenant_id)
    except Conflict as exc:
        return _list(request, container, problem=sentence(exc), status_code=409)
    return RedirectResponse("/ui/tenants?notice=tenant_resumed", status_code=303)


def _shred_page(
    request: Request,
    container: Container,
    principal: Principal,
    tenant_id: str,
    *,
    confirm: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    tenant = container.tenants.get(tenant_id=tenant_id)  # 404 for an unknown tenant
    context = {
        "active": "tenant",
        "tenant": tenant,
        "own": tenant.id == principal.tenant_id,
        "counts": {} if tenant.shredded else container.tenants.sealed_counts(tenant_id=tenant.id),
        "confirm": confirm,
        "errors": errors or {},
    }
    return render(request, "pages/tenant_shred.html", context, status_code=status_code)


@router.get("/tenants/{tenant_id}/shred", dependencies=PLATFORM)
def shred_form(
    request: Request, tenant_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    """What shredding destroys, and the form that takes the tenant's slug."""
    return _shred_page(request, container, principal, tenant_id)


@router.post("/tenants/{tenant_id}/shred", dependencies=PLATFORM)
def shred_tenant(
    request: Request,
    tenant_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    confirm: FormText = "",
) -> Response:
    """Destroy the tenant's data keys once its slug is typed exactly (the CLI's path)."""
    try:
        container.tenants.shred(principal, tenant_id=tenant_id, confirm=confirm)
    except ValidationFailed as exc:
        errors = field_errors(exc, known={"confirm"})
        return _shred_page(
            request,
            container,
            principal,
            tenant_id,
            confirm=confirm[:63],
            errors=errors,
            status_code=422,
        )
    except Conflict as exc:
        errors = {"_form": sentence(exc)}
        return _shred_page(
            request,
            container,
            principal,
            tenant_id,
            confirm=confirm[:63],
            errors=errors,
            status_code=409,
        )
    return RedirectResponse("/ui/tenants?notice=tenant_shredded", status_code=303)
