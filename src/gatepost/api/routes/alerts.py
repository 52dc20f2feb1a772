"""Alerts raised by access decisions: listed, and acknowledged with a note."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.api.routes.common import CursorQuery, LimitQuery
from gatepost.api.schemas.base import ERROR_RESPONSES, PagePublic
from gatepost.api.schemas.notifications import AlertAcknowledge, AlertPublic
from gatepost.domain.decisions import AlertKind
from gatepost.security.permissions import Permission
from gatepost.services.alerts import AlertFilter

router = APIRouter(
    route_class=GuardedRoute, prefix="/api/v1/alerts", tags=["alerts"], responses=ERROR_RESPONSES
)

AlertIdPath = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="A 32-hex-digit id.")]


@router.get("", dependencies=[require(Permission.ALERTS_READ)])
def list_alerts(
    principal: CurrentPrincipal,
    container: ContainerDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    state: Annotated[
        Literal["open", "acknowledged"] | None,
        Query(description="open: not yet acknowledged."),
    ] = None,
    kind: AlertKind | None = None,
    site_id: Annotated[str | None, Query(pattern=r"^[0-9a-f]{32}$")] = None,
) -> PagePublic[AlertPublic]:
    """Newest first. Filter by state, kind and site."""
    where = AlertFilter(state=state, kind=kind.value if kind else None, site_id=site_id)
    page = container.alerts.list(principal, limit=limit, cursor=cursor, where=where)
    return PagePublic.of(page, AlertPublic)


@router.get("/{alert_id}", dependencies=[require(Permission.ALERTS_READ)])
def get_alert(
    alert_id: AlertIdPath, principal: CurrentPrincipal, container: ContainerDep
) -> AlertPublic:
    return AlertPublic.model_validate(container.alerts.get(principal, alert_id))


@router.post("/{alert_id}/acknowledge", dependencies=[require(Permission.ALERTS_WRITE)])
def acknowledge_alert(
    alert_id: AlertIdPath,
    body: AlertAcknowledge,
    principal: CurrentPrincipal,
    container: ContainerDep,
) -> AlertPublic:
    """Acknowledge an open alert; the note (required) says what was done. 409 when it
    was acknowledged already."""
    record = container.alerts.acknowledge(principal, alert_id, note=body.note)
    return AlertPublic.model_validate(record)
