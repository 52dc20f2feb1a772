"""Plates: read a gate camera's frame and decide against the known vehicles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.api.routes.common import read_upload
from gatepost.api.schemas.base import ERROR_RESPONSES
from gatepost.api.schemas.resources import (
    PlateMatchPublic,
    PlateReadingPublic,
    PlateReadPublic,
)
from gatepost.security.permissions import Permission

router = APIRouter(
    route_class=GuardedRoute, prefix="/api/v1", tags=["plates"], responses=ERROR_RESPONSES
)


@router.post("/plates/read", dependencies=[require(Permission.PLATES_READ)])
def read_plates(
    principal: CurrentPrincipal,
    container: ContainerDep,
    file: Annotated[UploadFile, File(description="A JPEG, PNG or WebP frame.")],
) -> PlateReadPublic:
    """Read the plates in a frame; allow, deny or unknown from the known vehicles.

    A frame without a plate answers `unknown` with no plates, not an error. Nothing is
    stored.
    """
    result = container.plates.read(principal, read_upload(container, file))
    return PlateReadPublic(
        decision=result.decision.value,
        reason=result.reason,
        plates=[
            PlateReadingPublic(
                **r.reading.as_json(),
                vehicle=None
                if r.match is None
                else PlateMatchPublic(
                    vehicle_id=r.match.vehicle.id,
                    plate=r.match.vehicle.plate,
                    list=r.match.vehicle.list,
                    cost=round(r.match.cost, 3),
                ),
            )
            for r in result.plates
        ],
    )
