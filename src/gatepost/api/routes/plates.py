"""Plates: read a gate camera's frame and decide; site plate formats; plate policy."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.api.routes.common import IdempotencyKeyHeader, IdPath, read_upload
from gatepost.api.schemas.base import ERROR_RESPONSES
from gatepost.api.schemas.plates import (
    PlatePatternPublic,
    PlatePolicyPublic,
    PlatePolicyUpdate,
    SitePlateSettingsPublic,
    SitePlateSettingsUpdate,
)
from gatepost.api.schemas.resources import (
    PlateMatchPublic,
    PlateReadingPublic,
    PlateReadPublic,
)
from gatepost.domain.sites import PlatePattern, SitePlateSettings
from gatepost.security.permissions import Permission
from gatepost.services.arrivals import FrameKey
from gatepost.services.container import Container
from gatepost.services.plate_log import PlatePolicy

router = APIRouter(
    route_class=GuardedRoute, prefix="/api/v1", tags=["plates"], responses=ERROR_RESPONSES
)


@router.post("/plates/read", dependencies=[require(Permission.PLATES_READ)])
def read_plates(
    principal: CurrentPrincipal,
    container: ContainerDep,
    file: Annotated[UploadFile, File(description="A JPEG, PNG or WebP frame.")],
    site_id: Annotated[
        str | None,
        Form(
            pattern=r"^[0-9a-f]{32}$",
            description="Read with this site's plate formats (users testing a frame; a "
            "device always reads with its own site's).",
        ),
    ] = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> PlateReadPublic:
    """Read the plates in a frame; allow, deny or unknown from the known vehicles.

    A frame without a plate answers `unknown` with no plates, not an error. A device's
    read goes to the gate log as the tenant's plate policy says (`read_id`), once per car
    waiting at the barrier (`repeat`); a user's test read stores nothing. A device's
    `Idempotency-Key` stores the frame once: sent again, it is answered with the stored
    decision (`duplicate`; the frame is not read again, so no plates are listed).
    """
    result = container.arrivals.plate_frame(
        principal,
        read_upload(container, file),
        site_id=site_id,
        key=FrameKey(idempotency_key) if idempotency_key else None,
    )
    return PlateReadPublic(
        decision=result.gate,
        reason=result.reason,
        outcome=result.decision.outcome,
        reasons=list(result.decision.reasons),
        event_id=result.event_id,
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
        read_id=result.read_id,
        repeat=result.repeat,
        duplicate=result.duplicate,
    )


def _site_settings(settings: SitePlateSettings) -> SitePlateSettingsPublic:
    return SitePlateSettingsPublic(
        site_id=settings.site_id,
        regions=None if settings.regions is None else list(settings.regions),
        patterns=[
            PlatePatternPublic(name=p.name, region=p.region, pattern=p.pattern)
            for p in settings.patterns
        ],
    )


@router.get("/sites/{site_id}/plate-settings", dependencies=[require(Permission.SITES_READ)])
def get_site_plate_settings(
    site_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> SitePlateSettingsPublic:
    """The plate formats this site's cameras read."""
    return _site_settings(container.sites.plate_settings(principal, site_id))


@router.put("/sites/{site_id}/plate-settings", dependencies=[require(Permission.SITES_WRITE)])
def set_site_plate_settings(
    site_id: IdPath,
    body: SitePlateSettingsUpdate,
    principal: CurrentPrincipal,
    container: ContainerDep,
) -> SitePlateSettingsPublic:
    """Choose the regions (null: every region) and the site's own patterns; audited."""
    settings = container.sites.set_plate_settings(
        principal,
        site_id,
        regions=body.regions,
        patterns=[PlatePattern(p.name, p.region, p.pattern) for p in body.patterns],
    )
    return _site_settings(settings)


def _policy(container: Container, policy: PlatePolicy) -> PlatePolicyPublic:
    return PlatePolicyPublic(
        read_days=policy.read_days,
        stranger_days=policy.stranger_days,
        image_days=policy.image_days,
        repeat_window_seconds=int(container.plate_log.repeat_window.total_seconds()),
    )


@router.get("/plates/policy", dependencies=[require(Permission.TENANT_READ)])
def get_plate_policy(principal: CurrentPrincipal, container: ContainerDep) -> PlatePolicyPublic:
    """How long plate reads and their frames are kept."""
    return _policy(container, container.plate_log.policy(principal))


@router.put("/plates/policy", dependencies=[require(Permission.TENANT_SETTINGS_WRITE)])
def set_plate_policy(
    body: PlatePolicyUpdate, principal: CurrentPrincipal, container: ContainerDep
) -> PlatePolicyPublic:
    """Set the retention of plate reads (known vehicles, unknown plates) and frames;
    audited. A shorter period also applies to reads already stored, at the next purge;
    a longer one applies to reads stored from now on."""
    policy = container.plate_log.set_policy(
        principal,
        read_days=body.read_days,
        stranger_days=body.stranger_days,
        image_days=body.image_days,
    )
    return _policy(container, policy)
