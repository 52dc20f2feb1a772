"""Remote door commands: open, lock down or release an access point (or every point of
a zone) with a stated reason; audited, recorded as events, sent to the bound devices.

A lockdown of a point in lockdown, or a release of one that is not, changes nothing
and sends the command for the point's state again, answering ``resent: true`` (see
``services.remote_commands``).
"""

from __future__ import annotations

from fastapi import APIRouter

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.api.routes.common import IdPath
from gatepost.api.schemas.base import ERROR_RESPONSES
from gatepost.api.schemas.remote_commands import (
    RemoteCommandPublic,
    RemoteCommandRequest,
    ZoneCommandPublic,
)
from gatepost.security.permissions import Permission

__all__ = ["router"]

router = APIRouter(
    route_class=GuardedRoute, prefix="/api/v1", tags=["door commands"], responses=ERROR_RESPONSES
)

_OPERATE = [require(Permission.ACCESS_POINTS_OPERATE)]


@router.post("/access-points/{access_point_id}/open", dependencies=_OPERATE)
def open_access_point(
    access_point_id: IdPath,
    body: RemoteCommandRequest,
    principal: CurrentPrincipal,
    container: ContainerDep,
) -> RemoteCommandPublic:
    """Open the door (raise the barrier) once, through every device bound to it; passes
    a lockdown. 409 when no device is bound to the point."""
    result = container.remote_commands.open(principal, access_point_id, reason=body.reason)
    return RemoteCommandPublic.of(result)


@router.post("/access-points/{access_point_id}/lockdown", dependencies=_OPERATE)
def lock_down_access_point(
    access_point_id: IdPath,
    body: RemoteCommandRequest,
    principal: CurrentPrincipal,
    container: ContainerDep,
) -> RemoteCommandPublic:
    """Put the point into lockdown: every arrival but an exit button is refused until it
    is released. In lockdown already: the lockdown command is sent again (``resent``)."""
    result = container.remote_commands.lockdown(principal, access_point_id, reason=body.reason)
    return RemoteCommandPublic.of(result)


@router.post("/access-points/{access_point_id}/release", dependencies=_OPERATE)
def release_access_point(
    access_point_id: IdPath,
    body: RemoteCommandRequest,
    principal: CurrentPrincipal,
    container: ContainerDep,
) -> RemoteCommandPublic:
    """End the point's lockdown: back to the door mode it had. Not in lockdown: the
    release command is sent again (``resent``)."""
    result = container.remote_commands.release(principal, access_point_id, reason=body.reason)
    return RemoteCommandPublic.of(result)


@router.post("/zones/{zone_id}/lockdown", dependencies=_OPERATE)
def lock_down_zone(
    zone_id: IdPath,
    body: RemoteCommandRequest,
    principal: CurrentPrincipal,
    container: ContainerDep,
) -> ZoneCommandPublic:
    """Lock down every access point into or out of the zone (those in lockdown already
    get the command again, ``resent``)."""
    result = container.remote_commands.lockdown_zone(principal, zone_id, reason=body.reason)
    return ZoneCommandPublic.of(result)


@router.post("/zones/{zone_id}/release", dependencies=_OPERATE)
def release_zone(
    zone_id: IdPath,
    body: RemoteCommandRequest,
    principal: CurrentPrincipal,
    container: ContainerDep,
) -> ZoneCommandPublic:
    """Release every access point of the zone that is in lockdown (the others get the
    release command again, ``resent``)."""
    result = container.remote_commands.release_zone(principal, zone_id, reason=body.reason)
    return ZoneCommandPublic.of(result)
