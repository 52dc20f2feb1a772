"""The muster list page: who is on a site now, zone by zone, as a guard calls it out at
the assembly point in an evacuation (``/ui/sites/{site_id}/muster``).

The list is the presence service's reading (``services.presence``, the same as
``GET /api/v1/sites/{id}/presence``): it names people, so only the roles that hold
``tenant:presence:read`` open it, and reading it is audited as ``presence.mustered``:
once per reader and site in ``presence.muster_audit_window_seconds`` (5 min by default),
so an open screen's refreshes do not write an entry each.

- The zones come in tree order (a zone before the zones inside it, siblings by name),
  each with how many people it holds, and the total.
- Below them, everyone placed, under their zone: since when (in the site's time zone)
  and through which access point.
- On screen the list refreshes itself every :data:`REFRESH_SECONDS` (htmx polls
  ``.../muster/list``, which renders ``partials/muster_list.html``).
- Printed (``static/muster.css``, ``@media print``) it is an A4 roll-call sheet: no
  navigation, the site, the time taken and the column headers on top of every page, and
  an empty "Safe" box per person to tick on paper. ``static/muster.js`` (same-origin, no
  inline code) only wires the Print button to ``window.print()``.

``/ui/muster`` opens the only site's list, or offers the tenant's sites to choose from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.domain.zones import Zone, tree_order
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.services.presence import MusterList
from gatepost.web.forms import MAX_LIMIT
from gatepost.web.lookups import site_names
from gatepost.web.rendering import can, render

__all__ = [
    "MusterRow",
    "MusterSection",
    "MusterSheet",
    "REFRESH_SECONDS",
    "ZoneCount",
    "muster_sheet",
    "router",
]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

REFRESH_SECONDS = 10
"""How often the list on screen reads presence again (audited as the service says)."""

_READ = [require(Permission.PRESENCE_READ)]


@dataclass(frozen=True)
class ZoneCount:
    """A zone of the site in tree order: ``depth`` 0 at the top."""

    zone_id: str
    name: str
    depth: int
    count: int


@dataclass(frozen=True, repr=False)
class MusterRow:
    """One person on the list, as the page shows them (times in the site's zone)."""

    person_id: str
    name: str
    since: datetime
    since_text: str
    via: str

    def __repr__(self) -> str:  # names stay out of logs and tracebacks
        return f"MusterRow(person_id={self.person_id})"


@dataclass(frozen=True)
class MusterSection:
    """A zone with people in it, and who they are (by arrival)."""

    zone_id: str
    name: str
    people: tuple[MusterRow, ...]


@dataclass(frozen=True)
class MusterSheet:
    """Everything the page and the printed sheet show."""

    site_id: str
    site_name: str
    timezone: str
    taken_at: datetime
    taken_text: str
    total: int
    zones: tuple[ZoneCount, ...]
    sections: tuple[MusterSection, ...]


def _time_zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _site_zones(container: Container, principal: Principal, site_id: str) -> list[Zone]:
    zones: list[Zone] = []
    after: str | None = None
    while True:
        page = container.access_rules.list_zones(
            principal, limit=MAX_LIMIT, after=after, site_id=site_id
        )
        zones.extend(stored.zone for stored in page.items)
        if page.next_cursor is None:
            return zones
        after = page.next_cursor


def _point_names(container: Container, principal: Principal, site_id: str) -> dict[str, str]:
    if not can(principal, Permission.ACCESS_RULES_READ):
        return {}
    names: dict[str, str] = {}
    after: str | None = None
    while True:
        page = container.access_rules.list_access_points(
            principal, limit=MAX_LIMIT, after=after, site_id=site_id
        )
        names.update((point.id, point.name) for point in page.items)
        if page.next_cursor is None:
            return names
        after = page.next_cursor


def _zones_of(
    container: Container, principal: Principal, muster: MusterList
) -> list[tuple[Zone, int]]:
    """The site's zones in tree order; without access-rule reading, the muster's own
    (the zones with people in them, at the top level)."""
    if can(principal, Permission.ACCESS_RULES_READ):
        zones = _site_zones(container, principal, muster.site_id)
    else:
        zones = []
    known = {zone.id for zone in zones}
    zones += [Zone(z.zone_id, None, z.name) for z in muster.zones if z.zone_id not in known]
    return tree_order(zones)


def _since_text(since: datetime, taken: datetime) -> str:
    """The time of day for today's arrivals, the date too for earlier ones."""
    if since.date() == taken.date():
        return since.strftime("%H:%M")
    return since.strftime("%Y-%m-%d %H:%M")


def muster_sheet(container: Container, principal: Principal, site_id: str) -> MusterSheet:
    """Read the muster list (audited) and lay it out for the page."""
    muster = container.presence.muster(principal, site_id)
    site = container.sites.get(principal, muster.site_id)
    local = _time_zone(site.timezone)
    taken = muster.at.astimezone(local)
    points = _point_names(container, principal, muster.site_id)
    people = {zone.zone_id: zone.people for zone in muster.zones}
    ordered = _zones_of(container, principal, muster)
    sections = tuple(
        MusterSection(
            zone.id,
            zone.name,
            tuple(
                MusterRow(
                    p.person_id,
                    p.name,
                    p.since.astimezone(local),
                    _since_text(p.since.astimezone(local), taken),
                    points.get(p.access_point_id, ""),
                )
                for p in people[zone.id]
            ),
        )
        for zone, _ in ordered
        if people.get(zone.id)
    )
    return MusterSheet(
        site_id=muster.site_id,
        site_name=muster.site_name,
        timezone=site.timezone,
        taken_at=taken,
        taken_text=taken.strftime("%Y-%m-%d %H:%M:%S"),
        total=muster.count,
        zones=tuple(
            ZoneCount(zone.id, zone.name, depth, len(people.get(zone.id, ())))
            for zone, depth in ordered
        ),
        sections=sections,
    )


def _sorted_sites(container: Container, principal: Principal) -> dict[str, str]:
    sites = site_names(container, principal)
    return dict(sorted(sites.items(), key=lambda s: (s[1].casefold(), s[0])))


def _site_url(site_id: str) -> str:
    return f"/ui/sites/{site_id}/muster"


@router.get("/muster", dependencies=_READ)
def muster_sites(
    request: Request, principal: CurrentPrincipal, container: ContainerDep, site: str = ""
) -> Response:
    """The chosen (or the only) site's list; with several sites, a choice of them."""
    sites = _sorted_sites(container, principal)
    if site in sites:
        return RedirectResponse(_site_url(site), status_code=303)
    if len(sites) == 1:
        return RedirectResponse(_site_url(next(iter(sites))), status_code=303)
    context: dict[str, Any] = {"active": "muster", "sheet": None, "sites": sites}
    return render(request, "pages/muster.html", context)


@router.get("/sites/{site_id}/muster", dependencies=_READ)
def site_muster(
    request: Request, site_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    sheet = muster_sheet(container, principal, site_id)
    context: dict[str, Any] = {
        "active": "muster",
        "sheet": sheet,
        "sites": _sorted_sites(container, principal),
        "refresh_seconds": REFRESH_SECONDS,
    }
    return render(request, "pages/muster.html", context)


@router.get("/sites/{site_id}/muster/list", dependencies=_READ)
def site_muster_list(
    request: Request, site_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    """The list alone, for the page's refresh every :data:`REFRESH_SECONDS`."""
    sheet = muster_sheet(container, principal, site_id)
    return render(request, "partials/muster_list.html", {"sheet": sheet})
