"""Vehicles: the tenant's known plates, on an allow, a deny or a watch list
(``/ui/vehicles``).

Whoever may read vehicles sees the list, with each vehicle's list and validity, and a
vehicle's page; whoever may write them adds, edits and deletes (behind a confirmation).
Plates are personal data: the exact search posts the plate to ``/ui/vehicles/search``,
so a plate never appears in a URL, the browser history or an access log, and no link
carries one. Validity is entered and shown in the tenant's time zone. A refusal by the
service is shown next to its field with what was typed kept, never as an error page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.domain.vehicles import AccessList, VehicleView
from gatepost.errors import Conflict, ValidationFailed
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.services.pages import Page
from gatepost.web.forms import MAX_LIMIT, FormText, optional, page_limit
from gatepost.web.i18n import gettext
from gatepost.web.lookups import person_names, site_names
from gatepost.web.rendering import can, render
from gatepost.web.vehicle_forms import (
    LISTS,
    Submitted,
    blank_form,
    changes,
    draft,
    form_of,
    refusal,
    region_label,
    regions,
)

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)


# -- the list and the search ------------------------------------------------------------


def _vehicles_page(
    request: Request,
    principal: Principal,
    container: Container,
    page: Page[VehicleView],
    *,
    access: str = "",
    plate: str = "",
) -> Response:
    now = container.clock.now()
    context: dict[str, Any] = {
        "active": "vehicles",
        "page": page,
        "plate": plate,
        "access": access,
        "lists": LISTS,
        "regions": regions(),
        "owners": person_names(container, principal, [v.person_id for v in page.items]),
        "sites": site_names(container, principal),
        "validity": {vehicle.id: vehicle.validity_at(now) for vehicle in page.items},
        "pagination_params": {"list": access},
        "can_write": can(principal, Permission.VEHICLES_WRITE),
        "can_test": can(principal, Permission.PLATES_TEST),
    }
    return render(request, "pages/vehicles.html", context)


@router.get("/vehicles", dependencies=[require(Permission.VEHICLES_READ)])
def vehicles(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    cursor: str = "",
    limit: str = "",
    access: Annotated[str, Query(alias="list")] = "",
) -> Response:
    access = access if access in LISTS else ""
    page = container.vehicles.list(
        principal,
        limit=page_limit(limit),
        after=optional(cursor, 64),
        access_list=AccessList(access) if access else None,
    )
    return _vehicles_page(request, principal, container, page, access=access)


@router.post("/vehicles/search", dependencies=[require(Permission.VEHICLES_READ)])
def search_vehicles(
    request: Request, principal: CurrentPrincipal, container: ContainerDep, plate: FormText = ""
) -> Response:
    """Exact plate search; a POST so plates stay out of URLs, history and logs."""
    query = optional(plate, 32)
    if query is None:
        return RedirectResponse("/ui/vehicles", status_code=303)
    found = container.vehicles.find(principal, query)
    page = Page([found] if found is not None else [], None, MAX_LIMIT)
    return _vehicles_page(request, principal, container, page, plate=query)


# -- one vehicle ------------------------------------------------------------------------


@router.get("/vehicles/new", dependencies=[require(Permission.VEHICLES_WRITE)])
def new_vehicle(
    request: Request, principal: CurrentPrincipal, container: ContainerDep, person_id: str = ""
) -> Response:
    """The empty form; ``person_id`` (an id, never a plate) preselects the owner."""
    form = blank_form()
    if person_names(container, principal, [optional(person_id, 64)]):
        form["person_id"] = person_id
    return _vehicle_form(request, principal, container, form=form)


@router.get("/vehicles/{vehicle_id}", dependencies=[require(Permission.VEHICLES_READ)])
def vehicle_detail(
    request: Request, vehicle_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    vehicle = container.vehicles.get(principal, vehicle_id)
    owner = person_names(container, principal, [vehicle.person_id]).get(vehicle.person_id or "")
    context: dict[str, Any] = {
        "active": "vehicles",
        "vehicle": vehicle,
        "region": region_label(vehicle.region),
        "owner_name": owner or "",
        "site_name": site_names(container, principal).get(vehicle.site_id or "", ""),
        "status": vehicle.validity_at(container.clock.now()),
        "can_write": can(principal, Permission.VEHICLES_WRITE),
    }
    return render(request, "pages/vehicle.html", context)


# -- the form ---------------------------------------------------------------------------


def _owners(container: Container, principal: Principal, keep: str | None) -> dict[str, str]:
    """People for the owner select, by name (one page), and the current owner."""
    names: dict[str, str] = {}
    if can(principal, Permission.PERSONS_READ):
        page = container.persons.list(principal, limit=MAX_LIMIT, after=None)
        names = {person.id: person.name for person in page.items}
    if keep and keep not in names:
        unnamed = {keep: gettext("Person %(id)s") % {"id": keep[:8]}}
        names |= person_names(container, principal, [keep]) or unnamed
    return dict(sorted(names.items(), key=lambda item: item[1].casefold()))


def _vehicle_form(
    request: Request,
    principal: Principal,
    container: Container,
    *,
    form: dict[str, str],
    vehicle: VehicleView | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    sites = site_names(container, principal)
    if form["site_id"] and form["site_id"] not in sites:
        sites[form["site_id"]] = gettext("Site %(id)s") % {"id": form["site_id"][:8]}
    context: dict[str, Any] = {
        "active": "vehicles",
        "vehicle": vehicle,
        "form": form,
        "errors": errors or {},
        "regions": regions(),
        "lists": LISTS,
        "owners": _owners(container, principal, form["person_id"] or None),
        "sites": sites,
    }
    return render(request, "pages/vehicle_form.html", context, status_code=status_code)


@router.post("/vehicles", dependencies=[require(Permission.VEHICLES_WRITE)])
def create_vehicle(
    request: Request, principal: CurrentPrincipal, container: ContainerDep, form: Submitted
) -> Response:
    proposed, errors = draft(form, principal.tenant_timezone)
    status = 422
    if proposed is not None:
        try:
            vehicle = container.vehicles.create(principal, proposed)
        except (ValidationFailed, Conflict) as exc:
            errors = refusal(exc, proposed.region)
            status = 409 if isinstance(exc, Conflict) else 422
        else:
            return RedirectResponse(
                f"/ui/vehicles/{vehicle.id}?notice=vehicle_created", status_code=303
            )
    return _vehicle_form(
        request, principal, container, form=form, errors=errors, status_code=status
    )


@router.get("/vehicles/{vehicle_id}/edit", dependencies=[require(Permission.VEHICLES_WRITE)])
def edit_vehicle(
    request: Request, vehicle_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    vehicle = container.vehicles.get(principal, vehicle_id)
    return _vehicle_form(
        request,
        principal,
        container,
        form=form_of(vehicle, principal.tenant_timezone),
        vehicle=vehicle,
    )


@router.post("/vehicles/{vehicle_id}/edit", dependencies=[require(Permission.VEHICLES_WRITE)])
def save_vehicle(
    request: Request,
    vehicle_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    form: Submitted,
) -> Response:
    """Save what the form changed (nothing changed: nothing is written)."""
    current = container.vehicles.get(principal, vehicle_id)
    proposed, errors = draft(form, principal.tenant_timezone)
    status = 422
    if proposed is not None:
        changed = changes(current, proposed)
        try:
            if changed:
                container.vehicles.update(principal, vehicle_id, changed)
        except (ValidationFailed, Conflict) as exc:
            errors = refusal(exc, proposed.region)
            status = 409 if isinstance(exc, Conflict) else 422
        else:
            return RedirectResponse(
                f"/ui/vehicles/{vehicle_id}?notice=vehicle_saved", status_code=303
            )
    return _vehicle_form(
        request,
        principal,
        container,
        form=form,
        vehicle=current,
        errors=errors,
        status_code=status,
    )


@router.post("/vehicles/{vehicle_id}/delete", dependencies=[require(Permission.VEHICLES_WRITE)])
def delete_vehicle(
    vehicle_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    container.vehicles.delete(principal, vehicle_id)
    return RedirectResponse("/ui/vehicles?notice=vehicle_deleted", status_code=303)
