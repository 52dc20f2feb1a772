"""Alerts: open and acknowledged alerts, and acknowledging one with a note (htmx: the
row is replaced in place; without JavaScript the form posts and the page reloads)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.domain.alerts import AlertRecord, AlertState
from gatepost.errors import Conflict, ValidationFailed
from gatepost.security.permissions import Permission
from gatepost.services.alerts import AlertFilter
from gatepost.web.errors import is_htmx
from gatepost.web.forms import FormText, optional, page_limit, sentence
from gatepost.web.i18n import gettext
from gatepost.web.lookups import site_names
from gatepost.web.rendering import can, render

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

_STATES = {"open": AlertState.OPEN, "acknowledged": AlertState.ACKNOWLEDGED, "all": None}


@router.get("/alerts", dependencies=[require(Permission.ALERTS_READ)])
def alerts(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    state: str = "open",
    cursor: str = "",
    limit: str = "",
) -> Response:
    shown = state if state in _STATES else "open"
    page = container.alerts.list(
        principal,
        limit=page_limit(limit),
        cursor=optional(cursor),
        where=AlertFilter(state=_STATES[shown]),
    )
    context = {
        "active": "alerts",
        "page": page,
        "state": shown,
        "sites": site_names(container, principal),
        "can_write": can(principal, Permission.ALERTS_WRITE),
        "pagination_params": {"state": shown},
    }
    return render(request, "pages/alerts.html", context)


def _row(
    request: Request,
    alert: AlertRecord,
    sites: dict[str, str],
    *,
    error: str = "",
    note: str = "",
    status_code: int = 200,
) -> Response:
    context = {"alert": alert, "sites": sites, "can_write": True, "error": error, "note": note}
    return render(request, "partials/alert_row.html", context, status_code=status_code)


@router.post("/alerts/{alert_id}/acknowledge", dependencies=[require(Permission.ALERTS_WRITE)])
def acknowledge(
    request: Request,
    alert_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    note: FormText = "",
) -> Response:
    alert = container.alerts.get(principal, alert_id)  # 404 before anything else
    sites = site_names(container, principal)
    try:
        alert = container.alerts.acknowledge(principal, alert_id, note=note)
    except ValidationFailed as exc:
        if not is_htmx(request):
            page = alerts(request, principal, container)
            page.status_code = 422
            return page
        return _row(request, alert, sites, error=sentence(str(exc)), note=note, status_code=422)
    except Conflict:
        alert = container.alerts.get(principal, alert_id)
        return _row(
            request,
            alert,
            sites,
            error=gettext("Someone acknowledged it already."),
            status_code=409,
        )
    if not is_htmx(request):
        return RedirectResponse("/ui/alerts", status_code=303)
    return _row(request, alert, sites)
