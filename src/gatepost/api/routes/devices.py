"""Device registry (users) and the device-facing endpoints (devices)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.api.routes.common import CursorQuery, IdPath, LimitQuery, read_upload
from gatepost.api.schemas.base import ERROR_RESPONSES, PagePublic
from gatepost.api.schemas.resources import (
    ArrivalDecisionPublic,
    CommandPublic,
    DeviceArrivalIn,
    DeviceCreate,
    DeviceIssued,
    DevicePublic,
    EventBatch,
    IngestResultPublic,
    MediaPublic,
)
from gatepost.domain.arrivals import ArrivalKind
from gatepost.domain.media import MediaKind
from gatepost.security.permissions import Permission
from gatepost.services.arrivals import DeviceArrival
from gatepost.services.devices import DeviceDraft, IssuedDevice
from gatepost.services.events import EventDraft

router = APIRouter(
    route_class=GuardedRoute, prefix="/api/v1", tags=["devices"], responses=ERROR_RESPONSES
)


def _issued(issued: IssuedDevice) -> DeviceIssued:
    return DeviceIssued.model_validate(
        {
            **DevicePublic.model_validate(issued.device).model_dump(),
            "credential": issued.credential,
            "mqtt_username": issued.mqtt_username,
            "mqtt_password": issued.mqtt_password,
            "mqtt_mac_key": issued.mac_key,
        }
    )


@router.get("/devices", dependencies=[require(Permission.DEVICES_READ)])
def list_devices(
    principal: CurrentPrincipal,
    container: ContainerDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    site_id: Annotated[str | None, Query(pattern=r"^[0-9a-f]{32}$")] = None,
) -> PagePublic[DevicePublic]:
    page = container.devices.list(principal, limit=limit, after=cursor, site_id=site_id)
    return PagePublic.of(page, DevicePublic)


@router.post("/devices", status_code=201, dependencies=[require(Permission.DEVICES_WRITE)])
def register_device(
    body: DeviceCreate, principal: CurrentPrincipal, container: ContainerDep
) -> DeviceIssued:
    draft = DeviceDraft(
        site_id=body.site_id,
        name=body.name,
        kind=body.kind,
        direction=body.direction,
        zone=body.zone,
        roles=tuple(body.roles),
    )
    return _issued(container.devices.register(principal, draft))


@router.get("/devices/{device_id}", dependencies=[require(Permission.DEVICES_READ)])
def get_device(
    device_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> DevicePublic:
    return DevicePublic.model_validate(container.devices.get(principal, device_id))


@router.post(
    "/devices/{device_id}/rotate-credential", dependencies=[require(Permission.DEVICES_WRITE)]
)
def rotate_device_credential(
    device_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> DeviceIssued:
    return _issued(container.devices.rotate_credential(principal, device_id))


@router.post("/devices/{device_id}/revoke", dependencies=[require(Permission.DEVICES_WRITE)])
def revoke_device(
    device_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> DevicePublic:
    return DevicePublic.model_validate(container.devices.revoke(principal, device_id))


@router.post(
    "/device/events",
    dependencies=[require(Permission.DEVICE_EVENTS_WRITE)],
    tags=["device gateway"],
)
def post_events(
    body: EventBatch, principal: CurrentPrincipal, container: ContainerDep
) -> list[IngestResultPublic]:
    """A device posts 1-1000 events; repeats of an idempotency key are not stored again."""
    drafts = [
        EventDraft(
            idempotency_key=e.idempotency_key,
            kind=e.kind,
            occurred_at=e.occurred_at,
            person_id=e.person_id,
            snapshot_id=e.snapshot_id,
            data=dict(e.data),
        )
        for e in body.events
    ]
    results = container.events.ingest(principal, drafts)
    return [IngestResultPublic.model_validate(r) for r in results]


@router.post(
    "/device/arrivals",
    dependencies=[require(Permission.DEVICE_EVENTS_WRITE)],
    tags=["device gateway"],
)
def post_arrival(
    body: DeviceArrivalIn, principal: CurrentPrincipal, container: ContainerDep
) -> ArrivalDecisionPublic:
    """A card, PIN or QR value read at the device's access point, or its exit button:
    decided by the access rules, stored once per idempotency key, answered with the
    command. The same key again answers the stored decision (`duplicate`); the same key
    with another body is refused (409)."""
    decided = container.arrivals.arrive(
        principal,
        DeviceArrival(
            kind=ArrivalKind(body.kind),
            idempotency_key=body.idempotency_key,
            device_time=body.device_time,
            value=body.value,
        ),
    )
    command = decided.decision.command
    return ArrivalDecisionPublic(
        outcome=decided.decision.outcome,
        reasons=list(decided.decision.reasons),
        command=None
        if command is None
        else CommandPublic(kind=command.kind, display=command.display),
        event_id=decided.event_id,
        duplicate=decided.duplicate,
    )


@router.post(
    "/device/snapshots",
    status_code=201,
    dependencies=[require(Permission.DEVICE_EVENTS_WRITE)],
    tags=["device gateway"],
)
def post_snapshot(
    principal: CurrentPrincipal, container: ContainerDep, file: Annotated[UploadFile, File()]
) -> MediaPublic:
    """Upload a frame (JPEG, PNG or WebP); reference its id from an event's snapshot_id."""
    data = read_upload(container, file)
    media = container.media.store_image(
        principal, data=data, declared_type=file.content_type, kind=MediaKind.EVENT_SNAPSHOT
    )
    return MediaPublic.model_validate(media)
