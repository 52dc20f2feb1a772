"""The gate log: plate reads stored from devices, listed and searched by plate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.api.routes.common import CursorQuery, IdPath, LimitQuery
from gatepost.api.schemas.base import ERROR_RESPONSES, PagePublic
from gatepost.api.schemas.plates import PlateLogEntryPublic, PlateLogSearch
from gatepost.api.schemas.resources import MediaUrlPublic
from gatepost.domain.vehicles import GateDecision
from gatepost.security.permissions import Permission
from gatepost.services.pages import Page
from gatepost.services.plate_log import PlateLogEntry, PlateLogFilter

router = APIRouter(
    route_class=GuardedRoute,
    prefix="/api/v1/plate-reads",
    tags=["plate reads"],
    responses=ERROR_RESPONSES,
)

IdQuery = Annotated[str | None, Query(pattern=r"^[0-9a-f]{32}$")]
DecisionQuery = Annotated[GateDecision | None, Query(description="allow, deny or unknown.")]


def _entry(entry: PlateLogEntry) -> PlateLogEntryPublic:
    frame = entry.frame_url
    return PlateLogEntryPublic(
        id=entry.id,
        site_id=entry.site_id,
        device_id=entry.device_id,
        occurred_at=entry.occurred_at,
        plate=entry.plate,
        confidence=entry.confidence,
        color=entry.color,
        region=entry.region,
        decision=entry.decision,
        vehicle_id=entry.vehicle_id,
        has_frame=entry.frame_id is not None,
        frame=None if frame is None else MediaUrlPublic(url=frame.url, expires=frame.expires),
        expires_at=entry.expires_at,
    )


def _page(page: Page[PlateLogEntry]) -> PagePublic[PlateLogEntryPublic]:
    return PagePublic(
        items=[_entry(e) for e in page.items], next_cursor=page.next_cursor, limit=page.limit
    )


@router.get("", dependencies=[require(Permission.PLATE_READS_READ)])
def list_plate_reads(
    principal: CurrentPrincipal,
    container: ContainerDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    site_id: IdQuery = None,
    device_id: IdQuery = None,
    decision: DecisionQuery = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
) -> PagePublic[PlateLogEntryPublic]:
    """Newest first. Filter by site, device, decision and time range."""
    where = PlateLogFilter(
        site_id=site_id, device_id=device_id, decision=decision, since=since, until=until
    )
    return _page(container.plate_log.list(principal, limit=limit, cursor=cursor, where=where))


@router.post("/search", dependencies=[require(Permission.PLATE_READS_READ)])
def search_plate_reads(
    body: PlateLogSearch, principal: CurrentPrincipal, container: ContainerDep
) -> PagePublic[PlateLogEntryPublic]:
    """Reads of one plate, found through its blind index (the plate stays out of URLs),
    and reads matched to the vehicle registered with that plate."""
    where = PlateLogFilter(
        site_id=body.site_id,
        device_id=body.device_id,
        decision=body.decision,
        since=body.since,
        until=body.until,
    )
    page = container.plate_log.list(
        principal, limit=body.limit, cursor=body.cursor, where=where, plate=body.plate
    )
    return _page(page)


@router.get("/{plate_read_id}", dependencies=[require(Permission.PLATE_READS_READ)])
def get_plate_read(
    plate_read_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> PlateLogEntryPublic:
    return _entry(container.plate_log.get(principal, plate_read_id))
