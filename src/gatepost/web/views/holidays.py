"""Holidays: each site's calendar of holidays (``/ui/sites/{site_id}/holidays``).

On a site holiday, schedules use their holiday times instead of the weekday's (closed
unless a schedule says otherwise). Whoever may read access rules sees a site's upcoming
and past holidays, dated in the site's local calendar; whoever may write them adds one
(a date and a name, one per date), imports a country's public holidays of a year (the
dates the site has already are kept; the country defaults to the site's holiday
calendar, whose subdivision is used with it), or deletes one. ``/ui/holidays`` opens the first
site's calendar, or the one chosen in its site picker.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.domain.sites import Site
from gatepost.errors import Conflict, ValidationFailed
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.store.repositories.schedules import StoredHoliday
from gatepost.web.forms import FormText, sentence
from gatepost.web.i18n import N_, gettext
from gatepost.web.lookups import site_names
from gatepost.web.public_holidays import public_holidays
from gatepost.web.rendering import can, render

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

_NO_DATE = N_("Enter the date, for example 2027-05-01.")
_NO_NAME = N_("Enter a name for the holiday, for example Labour Day.")
_TAKEN = N_("This site already has a holiday on this date.")
_NAME_LENGTH = N_("The name must have 1-%(max)s characters.")
_NO_YEAR = N_("Enter a year, for example 2027.")
_NO_COUNTRY = N_("Enter a country code that has a calendar, for example CN, HK, DE or US.")
_LONGEST_NAME = 120  # as the service allows


@router.get("/holidays", dependencies=[require(Permission.ACCESS_RULES_READ)])
def holidays(
    request: Request, principal: CurrentPrincipal, container: ContainerDep, site: str = ""
) -> Response:
    """The chosen site's calendar (or the first site's); a page saying why when none."""
    sites = site_names(container, principal)
    if not sites:
        return render(request, "pages/holidays.html", {"active": "holidays", "site": None})
    chosen = site if site in sites else min(sites, key=lambda s: sites[s].casefold())
    return RedirectResponse(f"/ui/sites/{chosen}/holidays", status_code=303)


def _today(container: Container, site: Site) -> date:
    """Today in the site's calendar (holidays are local dates)."""
    try:
        zone = ZoneInfo(site.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return container.clock.now().date()
    return container.clock.now().astimezone(zone).date()


def _calendar(
    request: Request,
    principal: Principal,
    container: Container,
    site_id: str,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    site = container.sites.get(principal, site_id)
    days: Sequence[StoredHoliday] = container.schedules.holidays(principal, site_id)
    today = _today(container, site)
    context: dict[str, Any] = {
        "active": "holidays",
        "site": site,
        "sites": dict(sorted(site_names(container, principal).items(), key=lambda s: s[1])),
        "today": today,
        "upcoming": sorted((h for h in days if h.date >= today), key=lambda h: h.date),
        "past": sorted((h for h in days if h.date < today), key=lambda h: h.date, reverse=True),
        "form": {
            "day": "",
            "name": "",
            "country": site.holiday_country or "",  # the site's calendar, if it has one
            "year": str(today.year),
        }
        | (form or {}),
        "errors": errors or {},
        "can_write": can(principal, Permission.ACCESS_RULES_WRITE),
    }
    return render(request, "pages/holidays.html", context, status_code=status_code)


@router.get("/sites/{site_id}/holidays", dependencies=[require(Permission.ACCESS_RULES_READ)])
def site_holidays(
    request: Request, site_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    return _calendar(request, principal, container, site_id)


@router.post("/sites/{site_id}/holidays", dependencies=[require(Permission.ACCESS_RULES_WRITE)])
def add_holiday(
    request: Request,
    site_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    day: FormText = "",
    name: FormText = "",
) -> Response:
    form = {"day": day[:32], "name": name[:200]}
    errors: dict[str, str] = {}
    status = 422
    try:
        when = date.fromisoformat(day.strip())
    except ValueError:
        errors["day"] = gettext(_NO_DATE)
    if not name.strip():
        errors["name"] = gettext(_NO_NAME)
    if not errors:
        try:
            container.schedules.add_holiday(principal, site_id, day=when, name=name)
        except Conflict:
            errors, status = {"day": gettext(_TAKEN)}, 409
        except ValidationFailed as exc:
            if exc.field == "name" and "max" in exc.params:
                errors = {"name": gettext(_NAME_LENGTH) % {"max": exc.params["max"]}}
            else:
                errors = {exc.field if exc.field == "name" else "_form": sentence(exc)}
        else:
            return RedirectResponse(
                f"/ui/sites/{site_id}/holidays?notice=holiday_added", status_code=303
            )
    return _calendar(
        request, principal, container, site_id, form=form, errors=errors, status_code=status
    )


@router.post(
    "/sites/{site_id}/holidays/import", dependencies=[require(Permission.ACCESS_RULES_WRITE)]
)
def import_holidays(
    request: Request,
    site_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    country: FormText = "",
    year: FormText = "",
) -> Response:
    """Add the country's public holidays of the year that the site does not have yet."""
    site = container.sites.get(principal, site_id)  # another tenant's site is no site
    form = {"country": country[:8], "year": year[:8]}
    errors: dict[str, str] = {}
    own = site.holiday_country is not None and country.strip().upper() == site.holiday_country
    try:
        found = public_holidays(
            country, int(year.strip()), subdivision=site.holiday_subdivision if own else None
        )
    except ValueError:
        errors["year"] = gettext(_NO_YEAR)
    except ValidationFailed as exc:
        country_error = gettext(_NO_COUNTRY) if exc.field == "country" else sentence(exc)
        errors[exc.field or "country"] = country_error
    if errors:
        return _calendar(
            request, principal, container, site_id, form=form, errors=errors, status_code=422
        )
    days = [(day, name[:_LONGEST_NAME]) for day, name in found]
    container.schedules.import_holidays(principal, site_id, days)
    return RedirectResponse(
        f"/ui/sites/{site_id}/holidays?notice=holidays_imported", status_code=303
    )


@router.post(
    "/sites/{site_id}/holidays/{holiday_id}/delete",
    dependencies=[require(Permission.ACCESS_RULES_WRITE)],
)
def delete_holiday(
    site_id: str, holiday_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    container.schedules.delete_holiday(principal, site_id, holiday_id)
    return RedirectResponse(f"/ui/sites/{site_id}/holidays?notice=holiday_deleted", status_code=303)
