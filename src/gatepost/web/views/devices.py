"""Devices: list, register (credential shown once), revoke; and adding a site.

A device needs a site, so the registration page offers to create one when the
tenant has none yet.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.domain.devices import DeviceKind, DeviceRole, Direction
from gatepost.errors import Conflict, ValidationFailed
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.services.devices import DeviceDraft
from gatepost.web.errors import is_htmx
from gatepost.web.forms import FormText, field_errors, optional, page_limit, sentence
from gatepost.web.lookups import site_names
from gatepost.web.rendering import can, render

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

_DEVICE_FIELDS = {"site_id", "name", "kind", "direction", "zone", "roles"}
_SITE_FIELDS = {"site_name", "timezone"}
DEFAULT_TIMEZONE = "Asia/Shanghai"


@router.get("/devices", dependencies=[require(Permission.DEVICES_READ)])
def devices(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    cursor: str = "",
    limit: str = "",
) -> Response:
    page = container.devices.list(principal, limit=page_limit(limit), after=optional(cursor, 64))
    context = {
        "active": "devices",
        "page": page,
        "sites": site_names(container, principal),
        "can_write": can(principal, Permission.DEVICES_WRITE),
    }
    return render(request, "pages/devices.html", context)


def _device_form(
    request: Request,
    principal: Principal,
    container: Container,
    *,
    form: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "active": "devices",
        "form": form,
        "errors": errors or {},
        "sites": site_names(container, principal),
        "kinds": [kind.value for kind in DeviceKind],
        "directions": [direction.value for direction in Direction],
        "roles": [role.value for role in DeviceRole],
        "can_add_site": can(principal, Permission.SITES_WRITE),
        "default_timezone": DEFAULT_TIMEZONE,
    }
    return render(request, "pages/device_new.html", context, status_code=status_code)


def _blank_device() -> dict[str, Any]:
    return {
        "kind": DeviceKind.TURNSTILE.value,
        "direction": Direction.IN.value,
        "zone": "main",
        "roles": [DeviceRole.ACCESS_POINT.value],
    }


@router.get("/devices/new", dependencies=[require(Permission.DEVICES_WRITE)])
def new_device(request: Request, principal: CurrentPrincipal, container: ContainerDep) -> Response:
    return _device_form(request, principal, container, form=_blank_device())


@router.post("/devices", dependencies=[require(Permission.DEVICES_WRITE)])
def register_device(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    site_id: FormText = "",
    name: FormText = "",
    kind: FormText = "",
    direction: FormText = "",
    zone: FormText = "",
    roles: Annotated[list[str] | None, Form()] = None,
) -> Response:
    chosen = tuple(roles or ())
    form = {
        "site_id": site_id,
        "name": name,
        "kind": kind,
        "direction": direction,
        "zone": zone,
        "roles": list(chosen),
    }
    draft = DeviceDraft(
        site_id=site_id,
        name=name,
        kind=kind,
        direction=direction or Direction.IN.value,
        zone=zone or "main",
        roles=chosen,
    )
    try:
        issued = container.devices.register(principal, draft)
    except ValidationFailed as exc:
        errors = field_errors(exc, known=_DEVICE_FIELDS)
        return _device_form(
            request, principal, container, form=form, errors=errors, status_code=422
        )
    except Conflict as exc:
        return _device_form(
            request,
            principal,
            container,
            form=form,
            errors={"name": sentence(exc)},
            status_code=409,
        )
    context = {
        "active": "devices",
        "device": issued.device,
        "credential": issued.credential,
        "mqtt_username": issued.mqtt_username,
        "mqtt_password": issued.mqtt_password,
        "mac_key": issued.mac_key,
        "site_name": site_names(container, principal).get(issued.device.site_id, ""),
    }
    return render(request, "pages/device_issued.html", context, status_code=201)


@router.post("/devices/{device_id}/revoke", dependencies=[require(Permission.DEVICES_WRITE)])
def revoke_device(
    request: Request, device_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    device = container.devices.revoke(principal, device_id)
    if not is_htmx(request):
        return RedirectResponse("/ui/devices?notice=device_revoked", status_code=303)
    context = {
        "device": device,
        "sites": site_names(container, principal),
        "can_write": True,
    }
    return render(request, "partials/device_revoke.html", context)


@router.post("/devices/sites", dependencies=[require(Permission.SITES_WRITE)])
def add_site(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    site_name: FormText = "",
    timezone: FormText = DEFAULT_TIMEZONE,
) -> Response:
    """Create a site from the registration page, then return to it."""
    try:
        container.sites.create(principal, name=site_name, timezone=timezone.strip())
    except (ValidationFailed, Conflict) as exc:
        errors = (
            field_errors(exc, known=_SITE_FIELDS, aliases={"name": "site_name"})
            if isinstance(exc, ValidationFailed)
            else {"site_name": sentence(exc)}
        )
        form = _blank_device() | {"site_name": site_name, "timezone": timezone}
        return _device_form(
            request, principal, container, form=form, errors=errors, status_code=422
        )
    return RedirectResponse("/ui/devices/new?notice=site_created", status_code=303)
