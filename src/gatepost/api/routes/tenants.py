"""Tenants (platform administrators) and sites."""

from __future__ import annotations

from fastapi import APIRouter

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.api.routes.common import CursorQuery, IdPath, LimitQuery
from gatepost.api.schemas.base import ERROR_RESPONSES, PagePublic
from gatepost.api.schemas.resources import SiteCreate, SitePublic, TenantCreate, TenantPublic
from gatepost.security.permissions import Permission

router = APIRouter(
    route_class=GuardedRoute, prefix="/api/v1", tags=["tenants"], responses=ERROR_RESPONSES
)


@router.get("/tenant", dependencies=[require(Permission.TENANT_READ)])
def own_tenant(principal: CurrentPrincipal, container: ContainerDep) -> TenantPublic:
    return TenantPublic.model_validate(container.tenants.get(tenant_id=principal.tenant_id))


@router.get("/tenants", dependencies=[require(Permission.PLATFORM_TENANTS_MANAGE)])
def list_tenants(
    container: ContainerDep, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> PagePublic[TenantPublic]:
    return PagePublic.of(container.tenants.list(limit=limit, after=cursor), TenantPublic)


@router.post(
    "/tenants", status_code=201, dependencies=[require(Permission.PLATFORM_TENANTS_MANAGE)]
)
def create_tenant(
    body: TenantCreate, principal: CurrentPrincipal, container: ContainerDep
) -> TenantPublic:
    return TenantPublic.model_validate(
        container.tenants.create(principal, name=body.name, slug=body.slug)
    )


@router.get("/sites", dependencies=[require(Permission.SITES_READ)])
def list_sites(
    principal: CurrentPrincipal,
    container: ContainerDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> PagePublic[SitePublic]:
    page = container.sites.list(principal, limit=limit, after=cursor)
    return PagePublic.of(page, SitePublic)


@router.post("/sites", status_code=201, dependencies=[require(Permission.SITES_WRITE)])
def create_site(
    body: SiteCreate, principal: CurrentPrincipal, container: ContainerDep
) -> SitePublic:
    return SitePublic.model_validate(
        container.sites.create(principal, name=body.name, timezone=body.timezone)
    )


@router.get("/sites/{site_id}", dependencies=[require(Permission.SITES_READ)])
def get_site(site_id: IdPath, principal: CurrentPrincipal, container: ContainerDep) -> SitePublic:
    return SitePublic.model_validate(container.sites.get(principal, site_id))
