"""Access points and zones: their state (door mode, bound devices online or not, how
many people are in each zone) and the remote commands Open, Lockdown and Release, each
a small form that requires a reason (``services.remote_commands``).

A command's form posts (htmx-boosted, CSRF-checked) and gets the page back with the
result flashed: what was sent, to how many devices. A refused command (no reason, a
lockdown of a point in lockdown) gets the page with the reason it was refused and
changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from starlette.responses import Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.domain.access_points import DoorMode
from gatepost.errors import Conflict, ValidationFailed
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.services.remote_commands import RemoteAction, RemoteResult, ZoneResult
from gatepost.store.ids import is_id
from gatepost.web.forms import FormText, sentence
from gatepost.web.lookups import site_names
from gatepost.web.rendering import Message, can, render

__all__ = ["ONLINE_WITHIN", "router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

ONLINE_WITHIN = timedelta(minutes=5)
"""A device heard from within this long is shown online (devices report at least every
minute or so while idle, as docs/devices.md asks)."""

_OPERATE = [require(Permission.ACCESS_POINTS_OPERATE)]

_VERB = {
    RemoteAction.OPEN: "Open",
    RemoteAction.LOCKDOWN: "Lockdown",
    RemoteAction.RELEASE: "Release",
}


def _devices(count: int) -> str:
    return "1 device" if count == 1 else f"{count} devices"


def _point_message(result: RemoteResult) -> Message:
    verb = _VERB[result.action]
    mode = result.door_mode.value.replace("_", " ")
    text = (
        f"{verb} sent to {_devices(len(result.device_ids))} at {result.access_point_name}."
        f" Door mode: {mode}."
    )
    return Message("success", text)


def _zone_message(result: ZoneResult, name: str) -> Message:
    verb = _VERB[result.action]
    points = len(result.points)
    text = (
        f"{verb} of {name}: {points} access point{'s' if points != 1 else ''} changed,"
        f" {_devices(result.device_count)} told."
    )
    if result.unchanged:
        text += f" {result.unchanged} already in that state."
    return Message("success", text)


def _page(
    request: Request,
    principal: Principal,
    container: Container,
    *,
    site: str = "",
    message: Message | None = None,
    status_code: int = 200,
) -> Response:
    site_id = site if is_id(site) else None
    board = container.remote_commands.board(principal, site_id=site_id)
    now: datetime = container.clock.now()
    online = {
        d.id
        for p in board.points
        for d in p.devices
        if d.last_seen_at is not None and now - d.last_seen_at <= ONLINE_WITHIN
    }
    zone_names = {z.zone.id: z.zone.name for z in board.zones}
    context = {
        "active": "access_points",
        "board": board,
        "sites": site_names(container, principal),
        "site": site_id or "",
        "online": online,
        "zone_names": zone_names,
        "lockdown": DoorMode.LOCKDOWN,
        "can_operate": can(principal, Permission.ACCESS_POINTS_OPERATE),
        "can_muster": can(principal, Permission.PRESENCE_READ),
    }
    if message is not None:
        context["messages"] = [message]
    return render(request, "pages/access_points.html", context, status_code=status_code)


@router.get("/access-points", dependencies=[require(Permission.ACCESS_RULES_READ)])
def access_points(
    request: Request, principal: CurrentPrincipal, container: ContainerDep, site: str = ""
) -> Response:
    return _page(request, principal, container, site=site)


def _command(
    request: Request,
    principal: Principal,
    container: Container,
    *,
    action: RemoteAction,
    access_point_id: str,
    reason: str,
    site: str,
) -> Response:
    service = container.remote_commands
    run = {
        RemoteAction.OPEN: service.open,
        RemoteAction.LOCKDOWN: service.lockdown,
        RemoteAction.RELEASE: service.release,
    }[action]
    try:
        result = run(principal, access_point_id, reason=reason)
    except ValidationFailed as exc:
        message = Message("error", sentence(exc.message))
        return _page(request, principal, container, site=site, message=message, status_code=422)
    except Conflict as exc:
        message = Message("error", sentence(exc.message))
        return _page(request, principal, container, site=site, message=message, status_code=409)
    return _page(request, principal, container, site=site, message=_point_message(result))


@router.post("/access-points/{access_point_id}/open", dependencies=_OPERATE)
def open_point(
    request: Request,
    access_point_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    reason: FormText = "",
    site: FormText = "",
) -> Response:
    return _command(
        request,
        principal,
        container,
        action=RemoteAction.OPEN,
        access_point_id=access_point_id,
        reason=reason,
        site=site,
    )


@router.post("/access-points/{access_point_id}/lockdown", dependencies=_OPERATE)
def lock_down_point(
    request: Request,
    access_point_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    reason: FormText = "",
    site: FormText = "",
) -> Response:
    return _command(
        request,
        principal,
        container,
        action=RemoteAction.LOCKDOWN,
        access_point_id=access_point_id,
        reason=reason,
        site=site,
    )


@router.post("/access-points/{access_point_id}/release", dependencies=_OPERATE)
def release_point(
    request: Request,
    access_point_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    reason: FormText = "",
    site: FormText = "",
) -> Response:
    return _command(
        request,
        principal,
        container,
        action=RemoteAction.RELEASE,
        access_point_id=access_point_id,
        reason=reason,
        site=site,
    )


def _zone_command(
    request: Request,
    principal: Principal,
    container: Container,
    *,
    action: RemoteAction,
    zone_id: str,
    reason: str,
    site: str,
) -> Response:
    service = container.remote_commands
    run = service.lockdown_zone if action is RemoteAction.LOCKDOWN else service.release_zone
    try:
        result = run(principal, zone_id, reason=reason)
    except ValidationFailed as exc:
        message = Message("error", sentence(exc.message))
        return _page(request, principal, container, site=site, message=message, status_code=422)
    except Conflict as exc:
        message = Message("error", sentence(exc.message))
        return _page(request, principal, container, site=site, message=message, status_code=409)
    name = container.access_rules.get_zone(principal, zone_id).name
    message = _zone_message(result, name)
    return _page(request, principal, container, site=site, message=message)


@router.post("/access-points/zones/{zone_id}/lockdown", dependencies=_OPERATE)
def lock_down_zone(
    request: Request,
    zone_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    reason: FormText = "",
    site: FormText = "",
) -> Response:
    return _zone_command(
        request,
        principal,
        container,
        action=RemoteAction.LOCKDOWN,
        zone_id=zone_id,
        reason=reason,
        site=site,
    )


@router.post("/access-points/zones/{zone_id}/release", dependencies=_OPERATE)
def release_zone(
    request: Request,
    zone_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    reason: FormText = "",
    site: FormText = "",
) -> Response:
    return _zone_command(
        request,
        principal,
        container,
        action=RemoteAction.RELEASE,
        zone_id=zone_id,
        reason=reason,
        site=site,
    )
