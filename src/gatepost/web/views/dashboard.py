"""The dashboard: headline counts and the latest events."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.security.permissions import Permission
from gatepost.services.events import EventFilter
from gatepost.web.i18n import gettext
from gatepost.web.lookups import device_names, person_names
from gatepost.web.rendering import can, render

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

_RECENT = 8


@router.get("/", dependencies=[require(Permission.TENANT_READ)])
def dashboard(request: Request, principal: CurrentPrincipal, container: ContainerDep) -> Response:
    stats: list[tuple[str, str, str, str]] = []
    if can(principal, Permission.PERSONS_READ):
        people = f"{container.persons.count(principal):,}"
        stats.append((gettext("People"), people, "/ui/people", "people"))
    if can(principal, Permission.DEVICES_READ):
        devices = f"{container.devices.count(principal):,}"
        stats.append((gettext("Devices"), devices, "/ui/devices", "devices"))
    recent: list[Any] = []
    if can(principal, Permission.EVENTS_READ):
        midnight = container.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
        today = f"{container.events.count(principal, since=midnight):,}"
        stats.append((gettext("Events today (UTC)"), today, "/ui/events", "events"))
        recent = list(
            container.events.list(principal, limit=_RECENT, cursor=None, where=EventFilter()).items
        )
    context = {
        "active": "dashboard",
        "stats": stats,
        "recent": recent,
        "show_events": can(principal, Permission.EVENTS_READ),
        "devices": device_names(container, principal) if recent else {},
        "people": person_names(container, principal, (e.person_id for e in recent)),
    }
    return render(request, "pages/dashboard.html", context)
