"""The event log: newest first, filtered by device and kind, cursor-paginated."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.domain.devices import EventKind
from gatepost.errors import ValidationFailed
from gatepost.security.permissions import Permission
from gatepost.services.events import EventFilter
from gatepost.web.forms import optional, page_limit
from gatepost.web.i18n import gettext
from gatepost.web.lookups import device_names, person_names
from gatepost.web.rendering import render

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

_KINDS = [kind.value for kind in EventKind]


@router.get("/events", dependencies=[require(Permission.EVENTS_READ)])
def events(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    device: str = "",
    kind: str = "",
    cursor: str = "",
    limit: str = "",
) -> Response:
    devices = device_names(container, principal)
    where = EventFilter(
        device_id=device if device in devices else None,
        kind=kind if kind in _KINDS else None,
    )
    error = None
    try:
        page = container.events.list(
            principal, limit=page_limit(limit), cursor=optional(cursor), where=where
        )
    except ValidationFailed:
        error = gettext("That page link is no longer valid; showing the newest events.")
        page = container.events.list(principal, limit=page_limit(limit), cursor=None, where=where)
    context = {
        "active": "events",
        "page": page,
        "error": error,
        "devices": devices,
        "kinds": _KINDS,
        "filters": {"device": where.device_id or "", "kind": where.kind or ""},
        "people": person_names(container, principal, (e.person_id for e in page.items)),
        "pagination_params": {"device": where.device_id, "kind": where.kind},
    }
    return render(request, "pages/events.html", context)
