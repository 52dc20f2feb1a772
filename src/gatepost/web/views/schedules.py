"""Weekly schedules: when access levels let people through (``/ui/schedules``).

Whoever may read access rules sees the list and a schedule's week, and which access
levels and access points use it; whoever may write them creates, edits and deletes
(behind a confirmation). The week is a grid of ``HH:MM``-``HH:MM`` rows per weekday and
for site holidays (see :mod:`gatepost.web.schedule_forms`); a refusal by the domain
(an overlapping or inverted interval, a time that is no time) is shown next to its row
with what was typed kept, never as an error page. A schedule still in use is not
deleted: the page says which levels and points use it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.errors import Conflict, ValidationFailed
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.store.repositories.schedules import StoredSchedule
from gatepost.web.forms import MAX_LIMIT, optional, page_limit, sentence
from gatepost.web.rendering import can, render
from gatepost.web.schedule_forms import (
    DAYS,
    ScheduleForm,
    Submitted,
    blank_form,
    day_labels,
    draft,
    form_of,
    refusal,
    short_day_labels,
    unchanged,
)

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)


# -- the list and one schedule ----------------------------------------------------------


@router.get("/schedules", dependencies=[require(Permission.ACCESS_RULES_READ)])
def schedules(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    cursor: str = "",
    limit: str = "",
) -> Response:
    page = container.schedules.list(principal, limit=page_limit(limit), after=optional(cursor, 64))
    context: dict[str, Any] = {
        "active": "schedules",
        "page": page,
        "days": day_labels(),
        "short_days": short_day_labels(),
        "can_write": can(principal, Permission.ACCESS_RULES_WRITE),
    }
    return render(request, "pages/schedules.html", context)


def _users(container: Container, principal: Principal, schedule_id: str) -> dict[str, Any]:
    """The access levels and access points that use the schedule (one page of each)."""
    levels = container.access_levels.list(principal, limit=MAX_LIMIT, after=None)
    points = container.access_rules.list_access_points(principal, limit=MAX_LIMIT, after=None)
    return {
        "levels": [level for level in levels.items if level.schedule_id == schedule_id],
        "points": [p for p in points.items if p.unlock_schedule_id == schedule_id],
    }


def _schedule_page(
    request: Request,
    principal: Principal,
    container: Container,
    stored: StoredSchedule,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "active": "schedules",
        "stored": stored,
        "schedule": stored.schedule,
        "form": form_of(stored.schedule),
        "days": day_labels(),
        "error": error,
        "can_write": can(principal, Permission.ACCESS_RULES_WRITE),
        **_users(container, principal, stored.id),
    }
    return render(request, "pages/schedule.html", context, status_code=status_code)


@router.get("/schedules/new", dependencies=[require(Permission.ACCESS_RULES_WRITE)])
def new_schedule(request: Request) -> Response:
    return _schedule_form(request, form=blank_form())


@router.get("/schedules/interval", dependencies=[require(Permission.ACCESS_RULES_WRITE)])
def interval_row(request: Request, day: str = "") -> Response:
    """One empty row of the grid, for htmx's "Add interval" (and a removed row's swap)."""
    if day not in DAYS:
        return Response(status_code=204)  # htmx swaps nothing
    context: dict[str, Any] = {
        "day": day,
        "label": day_labels()[day],
        "position": None,
        "row": ("", ""),
        "errors": {},
    }
    return render(request, "partials/schedule_interval.html", context)


@router.get("/schedules/{schedule_id}", dependencies=[require(Permission.ACCESS_RULES_READ)])
def schedule_detail(
    request: Request, schedule_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    stored = container.schedules.get(principal, schedule_id)
    return _schedule_page(request, principal, container, stored)


# -- the form ---------------------------------------------------------------------------


def _schedule_form(
    request: Request,
    *,
    form: ScheduleForm,
    stored: StoredSchedule | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "active": "schedules",
        "stored": stored,
        "form": form,
        "days": day_labels(),
        "errors": errors or {},
    }
    return render(request, "pages/schedule_form.html", context, status_code=status_code)


@router.post("/schedules", dependencies=[require(Permission.ACCESS_RULES_WRITE)])
def create_schedule(
    request: Request, principal: CurrentPrincipal, container: ContainerDep, form: Submitted
) -> Response:
    if form.rearranging:
        return _schedule_form(request, form=form.rearranged())
    drafted, errors = draft(form)
    status = 422
    if drafted is not None:
        try:
            stored = container.schedules.create(principal, drafted.draft)
        except (ValidationFailed, Conflict) as exc:
            errors = refusal(exc, drafted)
            status = 409 if isinstance(exc, Conflict) else 422
        else:
            return RedirectResponse(
                f"/ui/schedules/{stored.id}?notice=schedule_created", status_code=303
            )
    return _schedule_form(request, form=form, errors=errors, status_code=status)


@router.get("/schedules/{schedule_id}/edit", dependencies=[require(Permission.ACCESS_RULES_WRITE)])
def edit_schedule(
    request: Request, schedule_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    stored = container.schedules.get(principal, schedule_id)
    return _schedule_form(request, form=form_of(stored.schedule), stored=stored)


@router.post("/schedules/{schedule_id}/edit", dependencies=[require(Permission.ACCESS_RULES_WRITE)])
def save_schedule(
    request: Request,
    schedule_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    form: Submitted,
) -> Response:
    """Save the schedule (an unchanged form writes nothing)."""
    stored = container.schedules.get(principal, schedule_id)
    if form.rearranging:
        return _schedule_form(request, form=form.rearranged(), stored=stored)
    drafted, errors = draft(form)
    status = 422
    if drafted is not None:
        proposed = drafted.draft
        try:
            if not unchanged(stored.schedule, proposed):
                container.schedules.update(
                    principal,
                    schedule_id,
                    name=proposed.name,
                    intervals=proposed.intervals,
                    holiday_intervals=proposed.holiday_intervals,
                )
        except (ValidationFailed, Conflict) as exc:
            errors = refusal(exc, drafted)
            status = 409 if isinstance(exc, Conflict) else 422
        else:
            return RedirectResponse(
                f"/ui/schedules/{schedule_id}?notice=schedule_saved", status_code=303
            )
    return _schedule_form(request, form=form, stored=stored, errors=errors, status_code=status)


@router.post(
    "/schedules/{schedule_id}/delete", dependencies=[require(Permission.ACCESS_RULES_WRITE)]
)
def delete_schedule(
    request: Request, schedule_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    """Delete the schedule; one still in use stays, and its page says who uses it."""
    stored = container.schedules.get(principal, schedule_id)
    try:
        container.schedules.delete(principal, schedule_id)
    except Conflict as exc:
        message = sentence(exc) + " Choose another schedule for them first."
        return _schedule_page(request, principal, container, stored, error=message, status_code=409)
    return RedirectResponse("/ui/schedules?notice=schedule_deleted", status_code=303)
