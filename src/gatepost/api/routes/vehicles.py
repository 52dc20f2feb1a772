"""Vehicles: a tenant's known plates (sealed at rest, found through blind indexes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.api.routes.common import CursorQuery, IdPath, LimitQuery, refuse_personal_query
from gatepost.api.schemas.base import ERROR_RESPONSES, PagePublic
from gatepost.api.schemas.resources import (
    VehicleCreate,
    VehiclePublic,
    VehicleSearch,
    VehicleUpdate,
)
from gatepost.domain.vehicles import AccessList
from gatepost.security.permissions import Permission
from gatepost.services.vehicles import VehicleDraft

router = APIRouter(
    route_class=GuardedRoute,
    prefix="/api/v1/vehicles",
    tags=["vehicles"],
    responses=ERROR_RESPONSES,
)

OptionalId = Annotated[str | None, Query(pattern=r"^[0-9a-f]{32}$")]


@router.get("", dependencies=[require(Permission.VEHICLES_READ)])
def list_vehicles(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    site_id: OptionalId = None,
    person_id: OptionalId = None,
    access_list: Annotated[AccessList | None, Query(alias="list")] = None,
) -> PagePublic[VehiclePublic]:
    """A page of the tenant's vehicles. Searching by plate is
    ``POST /api/v1/vehicles/search``: a plate never goes in a URL."""
    refuse_personal_query(request, ("plate",), search="POST /api/v1/vehicles/search")
    page = container.vehicles.list(
        principal,
        limit=limit,
        after=cursor,
        site_id=site_id,
        person_id=person_id,
        access_list=access_list,
    )
    return PagePublic.of(page, VehiclePublic)


@router.post("/search", dependencies=[require(Permission.VEHICLES_READ)])
def search_vehicles(
    body: VehicleSearch, principal: CurrentPrincipal, container: ContainerDep
) -> PagePublic[VehiclePublic]:
    """The same exact-match search as the list, with the plate in the body (kept out of
    URLs, browser history and access logs)."""
    page = container.vehicles.list(
        principal,
        limit=body.limit,
        after=body.cursor,
        plate=body.plate,
        site_id=body.site_id,
        person_id=body.person_id,
        access_list=body.list,
    )
    return PagePublic.of(page, VehiclePublic)


@router.post("", status_code=201, dependencies=[require(Permission.VEHICLES_WRITE)])
def create_vehicle(
    body: VehicleCreate, principal: CurrentPrincipal, container: ContainerDep
) -> VehiclePublic:
    view = container.vehicles.create(principal, VehicleDraft(**body.model_dump()))
    return VehiclePublic.model_validate(view)


@router.get("/{vehicle_id}", dependencies=[require(Permission.VEHICLES_READ)])
def get_vehicle(
    vehicle_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> VehiclePublic:
    return VehiclePublic.model_validate(container.vehicles.get(principal, vehicle_id))


@router.patch("/{vehicle_id}", dependencies=[require(Permission.VEHICLES_WRITE)])
def update_vehicle(
    vehicle_id: IdPath, body: VehicleUpdate, principal: CurrentPrincipal, container: ContainerDep
) -> VehiclePublic:
    changes = body.model_dump(exclude_unset=True)
    for required in ("plate", "list"):
        if required in changes and changes[required] is None:
            changes.pop(required)
    view = container.vehicles.update(principal, vehicle_id, changes)
    return VehiclePublic.model_validate(view)


@router.delete("/{vehicle_id}", status_code=204, dependencies=[require(Permission.VEHICLES_WRITE)])
def delete_vehicle(
    vehicle_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> None:
    container.vehicles.delete(principal, vehicle_id)
