"""Presence: who is on a site now, by zone (the muster list of an evacuation)."""

from __future__ import annotations

from fastapi import APIRouter

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.api.routes.common import IdPath
from gatepost.api.schemas.base import ERROR_RESPONSES
from gatepost.api.schemas.presence import MusterPersonPublic, MusterPublic, MusterZonePublic
from gatepost.security.permissions import Permission

router = APIRouter(
    route_class=GuardedRoute, prefix="/api/v1", tags=["presence"], responses=ERROR_RESPONSES
)


@router.get("/sites/{site_id}/presence", dependencies=[require(Permission.PRESENCE_READ)])
def site_presence(
    site_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> MusterPublic:
    """Everyone the access decisions place on the site now, zone by zone: the muster
    list an evacuation calls out. Names people; reading it is audited."""
    muster = container.presence.muster(principal, site_id)
    return MusterPublic(
        site_id=muster.site_id,
        site_name=muster.site_name,
        at=muster.at,
        count=muster.count,
        zones=[
            MusterZonePublic(
                zone_id=zone.zone_id,
                name=zone.name,
                people=[
                    MusterPersonPublic(
                        person_id=p.person_id,
                        name=p.name,
                        since=p.since,
                        access_point_id=p.access_point_id,
                    )
                    for p in zone.people
                ],
            )
            for zone in muster.zones
        ],
    )
