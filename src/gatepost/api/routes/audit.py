"""Reading and verifying the tenant's audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.api.routes.common import LimitQuery
from gatepost.api.schemas.base import ERROR_RESPONSES, PagePublic
from gatepost.api.schemas.resources import AuditEntryPublic, AuditVerifyPublic
from gatepost.security.permissions import Permission

router = APIRouter(
    route_class=GuardedRoute, prefix="/api/v1/audit", tags=["audit"], responses=ERROR_RESPONSES
)


@router.get("", dependencies=[require(Permission.AUDIT_READ)])
def list_audit(
    principal: CurrentPrincipal,
    container: ContainerDep,
    limit: LimitQuery = 50,
    cursor: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    action: Annotated[str | None, Query(max_length=60)] = None,
    actor: Annotated[str | None, Query(max_length=80)] = None,
) -> PagePublic[AuditEntryPublic]:
    """Newest first; ``cursor`` is the ``seq`` to continue below."""
    page = container.audit.page(
        principal, limit=limit, before_seq=cursor, action=action, actor=actor
    )
    items = [AuditEntryPublic.of(entry) for entry in page.items]
    return PagePublic(items=items, next_cursor=page.next_cursor, limit=limit)


@router.post("/verify", dependencies=[require(Permission.AUDIT_READ)])
def verify_audit(principal: CurrentPrincipal, container: ContainerDep) -> AuditVerifyPublic:
    report = container.audit.verify(tenant_id=principal.tenant_id)
    return AuditVerifyPublic(entries=report.entries, intact=report.intact, problems=report.problems)
