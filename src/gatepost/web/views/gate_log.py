"""The gate log (``/ui/plate-reads``): plates read by gate cameras, newest first.

Filtered by device and decision with cursor paging, like the event log; a search by
plate is a POST (plates stay out of URLs, as in the API) and shows that plate's reads
and those matched to the vehicle registered with it. Plates are shown opened to users
with ``tenant:plate_reads:read``; a kept frame opens through a signed URL for users who
may read media.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.domain.vehicles import GateDecision
from gatepost.errors import ValidationFailed
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.services.pages import Page
from gatepost.services.plate_log import PlateLogEntry, PlateLogFilter
from gatepost.web.forms import optional, page_limit, sentence
from gatepost.web.i18n import gettext
from gatepost.web.lookups import device_names
from gatepost.web.rendering import can, render

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

_DECISIONS = tuple(decision.value for decision in GateDecision)


def _page(
    request: Request,
    principal: Principal,
    container: Container,
    *,
    page: Page[PlateLogEntry],
    devices: dict[str, str],
    filters: dict[str, str],
    plate: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "active": "gate_log",
        "page": page,
        "devices": devices,
        "decisions": _DECISIONS,
        "filters": filters,
        "plate": plate,
        "error": error,
        "can_see_vehicles": can(principal, Permission.VEHICLES_READ),
        "pagination_params": filters,
    }
    return render(request, "pages/gate_log.html", context, status_code=status_code)


@router.get("/plate-reads", dependencies=[require(Permission.PLATE_READS_READ)])
def gate_log(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    device: str = "",
    decision: str = "",
    cursor: str = "",
    limit: str = "",
) -> Response:
    devices = device_names(container, principal)
    where = PlateLogFilter(
        device_id=device if device in devices else None,
        decision=GateDecision(decision) if decision in _DECISIONS else None,
    )
    filters = {"device": where.device_id or "", "decision": where.decision or ""}
    error = None
    try:
        page = container.plate_log.list(
            principal, limit=page_limit(limit), cursor=optional(cursor), where=where
        )
    except ValidationFailed:
        error = gettext("That page link is no longer valid; showing the newest reads.")
        page = container.plate_log.list(
            principal, limit=page_limit(limit), cursor=None, where=where
        )
    return _page(
        request, principal, container, page=page, devices=devices, filters=filters, error=error
    )


@router.post("/plate-reads/search", dependencies=[require(Permission.PLATE_READS_READ)])
def search_gate_log(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    plate: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """One plate's reads, newest first (the first page; narrow by time in the API)."""
    devices = device_names(container, principal)
    filters = {"device": "", "decision": ""}
    error = None if plate.strip() else gettext("Enter a plate to search for.")
    page: Page[PlateLogEntry] = Page([], None, page_limit(""))
    if error is None:
        try:
            page = container.plate_log.list(
                principal, limit=page_limit(""), cursor=None, where=PlateLogFilter(), plate=plate
            )
        except ValidationFailed as exc:
            error = sentence(exc)
    return _page(
        request,
        principal,
        container,
        page=page,
        devices=devices,
        filters=filters,
        plate=plate.strip(),
        error=error,
        status_code=200 if error is None else 422,
    )
