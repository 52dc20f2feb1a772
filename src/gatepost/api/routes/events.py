"""Reading the event store, and signed URLs for event snapshots."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.api.routes.common import CursorQuery, IdPath, LimitQuery
from gatepost.api.schemas.base import ERROR_RESPONSES, PagePublic
from gatepost.api.schemas.resources import EventPublic, MediaUrlPublic
from gatepost.domain.devices import EventKind
from gatepost.errors import NotFound
from gatepost.security.permissions import Permission
from gatepost.services.events import EventFilter

router = APIRouter(
    route_class=GuardedRoute, prefix="/api/v1/events", tags=["events"], responses=ERROR_RESPONSES
)

IdQuery = Annotated[str | None, Query(pattern=r"^[0-9a-f]{32}$")]


@router.get("", dependencies=[require(Permission.EVENTS_READ)])
def list_events(
    principal: CurrentPrincipal,
    container: ContainerDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    site_id: IdQuery = None,
    device_id: IdQuery = None,
    person_id: IdQuery = None,
    kind: EventKind | None = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
) -> PagePublic[EventPublic]:
    """Newest first. Filter by site, device, person, kind and time range."""
    where = EventFilter(
        site_id=site_id,
        device_id=device_id,
        person_id=person_id,
        kind=kind,
        since=since,
        until=until,
    )
    page = container.events.list(principal, limit=limit, cursor=cursor, where=where)
    return PagePublic.of(page, EventPublic)


@router.get("/{event_id}", dependencies=[require(Permission.EVENTS_READ)])
def get_event(
    event_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> EventPublic:
    return EventPublic.model_validate(container.events.get(principal, event_id))


@router.get("/{event_id}/snapshot-url", dependencies=[require(Permission.MEDIA_READ)])
def snapshot_url(
    event_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> MediaUrlPublic:
    """A short-lived URL for the event's snapshot, valid for the caller only."""
    event = container.events.get(principal, event_id)
    if event.snapshot_id is None:
        raise NotFound("snapshot")
    signed = container.media.signed_url(principal, event.snapshot_id)
    return MediaUrlPublic(url=signed.url, expires=signed.expires)
