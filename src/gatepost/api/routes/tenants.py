"""Tenants (platform administrators) and sites."""

from __future__ import annotations

from fastapi import APIRouter

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.api.routes.common import CursorQuery, IdPath, LimitQuery
from gatepost.api.schemas.base import ERROR_RESPONSES, PagePublic
from gatepost.api.schemas.resources import (
    SiteCreate,
    SitePublic,
    SiteUpdate,
    TenantCreate,
    TenantPublic,
    TenantShred,
    TenantShredded,
)
from gatepost.security.permissions import Permission
from gatepost.services.sites import UNCHANGED

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


@router.post(
    "/tenants/{tenant_id}/suspend", dependencies=[require(Permission.PLATFORM_TENANTS_MANAGE)]
)
def suspend_tenant(
    tenant_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> TenantPublic:
    """Suspend a tenant: no sign-in, session, API key, device or invitation of it works
    until it is resumed; its data stays. Not the caller's own tenant."""
    return TenantPublic.model_validate(container.tenants.suspend(principal, tenant_id=tenant_id))


@router.post(
    "/tenants/{tenant_id}/resume", dependencies=[require(Permission.PLATFORM_TENANTS_MANAGE)]
)
def resume_tenant(
    tenant_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> TenantPublic:
    return TenantPublic.model_validate(container.tenants.resume(principal, tenant_id=tenant_id))


@router.post(
    "/tenants/{tenant_id}/shred", dependencies=[require(Permission.PLATFORM_TENANTS_MANAGE)]
)
def shred_tenant(
    tenant_id: IdPath, body: TenantShred, principal: CurrentPrincipal, container: ContainerDep
) -> TenantShredded:
    """Crypto-shred a tenant: destroy its data keys, so all its sealed data (names,
    identity numbers, faces, plates, media) is unreadable for good. ``confirm`` must be
    the tenant's slug; not the caller's own tenant."""
    count = container.tenants.shred(principal, tenant_id=tenant_id, confirm=body.confirm)
    return TenantShredded(id=tenant_id, keys_destroyed=count)


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
        container.sites.create(
            principal,
            name=body.name,
            timezone=body.timezone,
            address=body.address,
            holiday_country=body.holiday_country,
            holiday_subdivision=body.holiday_subdivision,
        )
    )


@router.get("/sites/{site_id}", dependencies=[require(Permission.SITES_READ)])
def get_site(site_id: IdPath, principal: CurrentPrincipal, container: ContainerDep) -> SitePublic:
    return SitePublic.model_validate(container.sites.get(principal, site_id))


@router.patch("/sites/{site_id}", dependencies=[require(Permission.SITES_WRITE)])
def update_site(
    site_id: IdPath, body: SiteUpdate, principal: CurrentPrincipal, container: ContainerDep
) -> SitePublic:
    """Rename a site or change its address, time zone or holiday calendar (omitted
    fields stay; null clears the address or the calendar); audited by field names."""
    given = body.model_fields_set
    site = container.sites.update(
        principal,
        site_id,
        name=body.name if "name" in given and body.name is not None else UNCHANGED,
        timezone=body.timezone if "timezone" in given and body.timezone is not None else UNCHANGED,
        address=body.address if "address" in given else UNCHANGED,
        holiday_country=body.holiday_country if "holiday_country" in given else UNCHANGED,
        holiday_subdivision=(
            body.holiday_subdivision if "holiday_subdivision" in given else UNCHANGED
        ),
    )
    return SitePublic.model_validate(site)
