"""The dashboard: headline counts and the latest events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.security.permissions import Permission
from gatepost.services.events import EventFilter
from gatepost.services.pages import Page
from gatepost.web.forms import MAX_LIMIT
from gatepost.web.lookups import device_names, person_names
from gatepost.web.rendering import can, render

__all__ = ["COUNT_CAP", "Count", "count_upto", "router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

COUNT_CAP = 1000
_RECENT = 8


@dataclass(frozen=True)
class Count:
    value: int
    more: bool

    def __str__(self) -> str:
        return f"{self.value:,}+" if self.more else f"{self.value:,}"


def count_upto(fetch: Callable[[str | None], Page[Any]], cap: int = COUNT_CAP) -> Count:
    """Count by paging through ``fetch(cursor)``, stopping at ``cap``."""
    total, cursor = 0, None
    while True:
        page = fetch(cursor)
        total += len(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return Count(total, False)
        if total >= cap:
            return Count(total, True)


@router.get("/", dependencies=[require(Permission.TENANT_READ)])
def dashboard(request: Request, principal: CurrentPrincipal, container: ContainerDep) -> Response:
    stats: list[tuple[str, Count, str, str]] = []
    if can(principal, Permission.PERSONS_READ):
        people = count_upto(lambda c: container.persons.list(principal, limit=MAX_LIMIT, after=c))
        stats.append(("People", people, "/ui/people", "people"))
    if can(principal, Permission.DEVICES_READ):
        devices = count_upto(lambda c: container.devices.list(principal, limit=MAX_LIMIT, after=c))
        stats.append(("Devices", devices, "/ui/devices", "devices"))
    recent: list[Any] = []
    if can(principal, Permission.EVENTS_READ):
        midnight = container.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
        today = count_upto(
            lambda c: container.events.list(
                principal, limit=MAX_LIMIT, cursor=c, where=EventFilter(since=midnight)
            )
        )
        stats.append(("Events today (UTC)", today, "/ui/events", "events"))
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
