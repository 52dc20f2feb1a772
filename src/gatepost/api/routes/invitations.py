"""Invitations: platform administrators invite someone into a tenant with a role (the
tenant's first administrator, to begin with); a tenant's administrators invite into
their own tenant (``/invitations``: the tenant is the caller's, never an input, and the
role at most their own); the invitee checks and accepts the link.

The two public routes take the token in the body, never in the URL, so it stays out
of access logs (docs/security.md, "Invitations").
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, public, require
from gatepost.api.routes.auth import client_of
from gatepost.api.routes.common import CursorQuery, IdPath, LimitQuery
from gatepost.api.schemas.base import ERROR_RESPONSES, PagePublic
from gatepost.api.schemas.invitations import (
    InvitationAccept,
    InvitationAccepted,
    InvitationCheck,
    InvitationCreate,
    InvitationIssued,
    InvitationPreview,
    InvitationPublic,
    TenantInvitationCreate,
)
from gatepost.security.permissions import Permission

router = APIRouter(
    route_class=GuardedRoute, prefix="/api/v1", tags=["invitations"], responses=ERROR_RESPONSES
)

PLATFORM = [require(Permission.PLATFORM_TENANTS_MANAGE)]


@router.post("/tenants/{tenant_id}/invitations", status_code=201, dependencies=PLATFORM)
def create_invitation(
    tenant_id: IdPath,
    body: InvitationCreate,
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
) -> InvitationIssued:
    """A one-time link for someone to join the tenant (default: as its administrator).
    The token and link are in this response only."""
    issued = container.invitations.create(
        principal,
        tenant_id=tenant_id,
        role=body.role,
        hours=body.hours,
        origin=str(request.base_url),
    )
    public_view = InvitationPublic.of(
        issued.invitation, container.invitations.state(issued.invitation)
    )
    return InvitationIssued(**public_view.model_dump(), token=issued.token, link=issued.link)


@router.get("/tenants/{tenant_id}/invitations", dependencies=PLATFORM)
def list_invitations(
    tenant_id: IdPath,
    container: ContainerDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> PagePublic[InvitationPublic]:
    page = container.invitations.list(tenant_id=tenant_id, limit=limit, after=cursor)
    items = [InvitationPublic.of(i, container.invitations.state(i)) for i in page.items]
    return PagePublic(items=items, next_cursor=page.next_cursor, limit=page.limit)


@router.post("/tenants/{tenant_id}/invitations/{invitation_id}/revoke", dependencies=PLATFORM)
def revoke_invitation(
    tenant_id: IdPath, invitation_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> InvitationPublic:
    revoked = container.invitations.revoke(
        principal, tenant_id=tenant_id, invitation_id=invitation_id
    )
    return InvitationPublic.of(revoked, container.invitations.state(revoked))


@router.post("/invitations", status_code=201, dependencies=[require(Permission.USERS_WRITE)])
def create_own_invitation(
    body: TenantInvitationCreate,
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
) -> InvitationIssued:
    """A one-time link for someone to join the caller's own tenant with ``role`` (at
    most the caller's own). The token and link are in this response only."""
    issued = container.invitations.create_in_own_tenant(
        principal, role=body.role, hours=body.hours, origin=str(request.base_url)
    )
    public_view = InvitationPublic.of(
        issued.invitation, container.invitations.state(issued.invitation)
    )
    return InvitationIssued(**public_view.model_dump(), token=issued.token, link=issued.link)


@router.get("/invitations", dependencies=[require(Permission.USERS_READ)])
def list_own_invitations(
    principal: CurrentPrincipal,
    container: ContainerDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> PagePublic[InvitationPublic]:
    page = container.invitations.list(tenant_id=principal.tenant_id, limit=limit, after=cursor)
    items = [InvitationPublic.of(i, container.invitations.state(i)) for i in page.items]
    return PagePublic(items=items, next_cursor=page.next_cursor, limit=page.limit)


@router.post("/invitations/{invitation_id}/revoke", dependencies=[require(Permission.USERS_WRITE)])
def revoke_own_invitation(
    invitation_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> InvitationPublic:
    revoked = container.invitations.revoke(
        principal, tenant_id=principal.tenant_id, invitation_id=invitation_id
    )
    return InvitationPublic.of(revoked, container.invitations.state(revoked))


@router.post("/invitations/check", dependencies=[public("invitation check")])
def check_invitation(
    body: InvitationCheck, request: Request, container: ContainerDep
) -> InvitationPreview:
    """Which organisation and role a pending invitation is for (POST: the token stays
    out of the URL)."""
    view = container.invitations.inspect(token=body.token, client=client_of(request))
    return InvitationPreview(
        tenant_name=view.tenant_name,
        tenant_slug=view.tenant_slug,
        role=view.role,
        expires_at=view.expires_at,
    )


@router.post(
    "/invitations/accept", status_code=201, dependencies=[public("accepting an invitation")]
)
def accept_invitation(
    body: InvitationAccept, request: Request, container: ContainerDep
) -> InvitationAccepted:
    """Create your account from an invitation; then sign in with it."""
    accepted = container.invitations.accept(
        token=body.token,
        username=body.username,
        password=body.password,
        client=client_of(request),
    )
    return InvitationAccepted(
        tenant_slug=accepted.tenant_slug,
        user_id=accepted.user.id,
        username=accepted.user.username,
        role=accepted.user.role,
    )
