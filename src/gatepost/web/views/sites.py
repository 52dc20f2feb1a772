"""Sites (``/ui/sites``): the tenant's locations with their time zone and address, a
form to add one, and each site's page: its details (name, address, time zone, public
holiday calendar) and the plate formats its cameras read (regions and the site's own
patterns). The face policy is the tenant's (``/ui/faces``); the site page links to it.

Whoever may read sites sees them; whoever may write them adds and edits. A refusal is
shown next to its field with the form as typed (nothing is changed); a change
redirects with a notice. Forms post and redirect; nothing here needs JavaScript.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from babel import Locale, UnknownLocaleError
from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.domain.plates import PlateRegion
from gatepost.domain.sites import PlatePattern, Site
from gatepost.errors import Conflict, ValidationFailed
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.services.sites import MAX_PLATE_PATTERNS, holiday_calendars, time_zones
from gatepost.web.forms import FormText, field_errors, sentence
from gatepost.web.i18n import N_, current_locale
from gatepost.web.rendering import can, render

__all__ = ["REGION_LABELS", "router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

READ = [require(Permission.SITES_READ)]
WRITE = [require(Permission.SITES_WRITE)]
_FIELDS = {"name", "address", "timezone", "holiday_country", "holiday_subdivision"}
_TAKEN = N_("Another site has this name. Choose a different one.")
_FORMATS = {"regions", "patterns"}
_BLANK_PATTERNS = 2  # empty rows offered for new patterns

REGION_LABELS: dict[str, str] = {
    PlateRegion.CN.value: N_("Mainland China"),
    PlateRegion.EU.value: N_("Europe"),
    PlateRegion.BR.value: N_("Brazil (Mercosur)"),
    PlateRegion.US.value: N_("United States"),
}


def _details_form(site: Site | None) -> dict[str, str]:
    if site is None:
        return {
            "name": "",
            "address": "",
            "timezone": "UTC",
            "holiday_country": "",
            "holiday_subdivision": "",
        }
    return {
        "name": site.name,
        "address": site.address or "",
        "timezone": site.timezone,
        "holiday_country": site.holiday_country or "",
        "holiday_subdivision": site.holiday_subdivision or "",
    }


def _formats_form(site: Site) -> dict[str, Any]:
    regions = [r.value for r in PlateRegion] if site.plate_regions is None else site.plate_regions
    patterns = [
        {"name": p.name, "region": p.region, "pattern": p.pattern} for p in site.plate_patterns
    ]
    return {"regions": list(regions), "patterns": patterns}


def _countries() -> list[tuple[str, str]]:
    """The holiday calendars' countries as (code, name in the page's language), by name."""
    names: Mapping[str, object]
    try:
        names = Locale.parse(current_locale()).territories
    except (ValueError, UnknownLocaleError):
        names = {}
    chosen = [(code, str(names.get(code, code))) for code in holiday_calendars()]
    return sorted(chosen, key=lambda c: c[1])


def _common(principal: Principal, form: Mapping[str, str]) -> dict[str, Any]:
    country = form.get("holiday_country", "").strip().upper()
    return {
        "active": "sites",
        "time_zones": time_zones(),
        "countries": _countries(),
        "subdivisions": holiday_calendars().get(country, ()),
        "can_write": can(principal, Permission.SITES_WRITE),
    }


@router.get("/sites", dependencies=READ)
def sites(request: Request, principal: CurrentPrincipal, container: ContainerDep) -> Response:
    page = container.sites.list(principal, limit=200, after=None)
    context = {
        "active": "sites",
        "sites": sorted(page.items, key=lambda s: s.name.casefold()),
        "more": page.next_cursor is not None,
        "can_write": can(principal, Permission.SITES_WRITE),
    }
    return render(request, "pages/sites.html", context)


def _new(
    request: Request,
    principal: Principal,
    *,
    form: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    form = dict(form or _details_form(None))
    context = _common(principal, form) | {
        "form": form,
        "errors": dict(errors or {}),
    }
    return render(request, "pages/site_new.html", context, status_code=status_code)


@router.get("/sites/new", dependencies=WRITE)
def new_site(request: Request, principal: CurrentPrincipal) -> Response:
    return _new(request, principal)


def _details(
    name: str, address: str, timezone: str, holiday_country: str, holiday_subdivision: str
) -> dict[str, str]:
    return {
        "name": name[:300],
        "address": address[:1000],
        "timezone": timezone[:100],
        "holiday_country": holiday_country[:16],
        "holiday_subdivision": holiday_subdivision[:32],
    }


@router.post("/sites", dependencies=WRITE)
def create_site(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    name: FormText = "",
    address: FormText = "",
    timezone: FormText = "",
    holiday_country: FormText = "",
    holiday_subdivision: FormText = "",
) -> Response:
    form = _details(name, address, timezone, holiday_country, holiday_subdivision)
    try:
        site = container.sites.create(
            principal,
            name=name,
            timezone=timezone,
            address=address,
            holiday_country=holiday_country,
            holiday_subdivision=holiday_subdivision,
        )
    except ValidationFailed as exc:
        errors = field_errors(exc, known=_FIELDS)
        return _new(request, principal, form=form, errors=errors, status_code=422)
    except Conflict:
        errors = {"name": sentence(_TAKEN)}
        return _new(request, principal, form=form, errors=errors, status_code=409)
    return RedirectResponse(f"/ui/sites/{site.id}?notice=site_created", status_code=303)


def _site_page(
    request: Request,
    principal: Principal,
    container: Container,
    site_id: str,
    *,
    form: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    formats: Mapping[str, Any] | None = None,
    format_errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    site = container.sites.get(principal, site_id)
    chosen = dict(formats or _formats_form(site))
    rows = list(chosen["patterns"])
    blank = {"name": "", "region": "", "pattern": ""}
    rows += [blank] * max(0, min(_BLANK_PATTERNS, MAX_PLATE_PATTERNS - len(rows)))
    form = dict(form or _details_form(site))
    context = _common(principal, form) | {
        "site": site,
        "form": form,
        "errors": dict(errors or {}),
        "formats": chosen | {"patterns": rows},
        "format_errors": dict(format_errors or {}),
        "row_errors": [
            {
                key.rsplit("-", 1)[1]: message
                for key, message in (format_errors or {}).items()
                if key.startswith(f"pattern-{i}-")
            }
            for i in range(len(rows))
        ],
        "regions": REGION_LABELS,
        "can_faces": can(principal, Permission.PERSONS_READ),
        "can_holidays": can(principal, Permission.ACCESS_RULES_READ),
    }
    return render(request, "pages/site.html", context, status_code=status_code)


@router.get("/sites/{site_id}", dependencies=READ)
def site(
    request: Request, site_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    return _site_page(request, principal, container, site_id)


@router.post("/sites/{site_id}", dependencies=WRITE)
def save_site(
    request: Request,
    site_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    name: FormText = "",
    address: FormText = "",
    timezone: FormText = "",
    holiday_country: FormText = "",
    holiday_subdivision: FormText = "",
) -> Response:
    """Save the details; an empty address or calendar clears it."""
    container.sites.get(principal, site_id)  # another tenant's site is no site
    form = _details(name, address, timezone, holiday_country, holiday_subdivision)
    try:
        container.sites.update(
            principal,
            site_id,
            name=name,
            address=address,
            timezone=timezone,
            holiday_country=holiday_country,
            holiday_subdivision=holiday_subdivision,
        )
    except ValidationFailed as exc:
        errors = field_errors(exc, known=_FIELDS)
        return _site_page(
            request, principal, container, site_id, form=form, errors=errors, status_code=422
        )
    except Conflict:
        errors = {"name": sentence(_TAKEN)}
        return _site_page(
            request, principal, container, site_id, form=form, errors=errors, status_code=409
        )
    return RedirectResponse(f"/ui/sites/{site_id}?notice=site_saved", status_code=303)


def _patterns(
    names: Sequence[str], regions: Sequence[str], texts: Sequence[str]
) -> list[dict[str, str]]:
    """The pattern rows as typed, blank rows left out."""
    rows = []
    for i in range(max(len(names), len(regions), len(texts))):
        row = {
            "name": (names[i] if i < len(names) else "").strip()[:80],
            "region": (regions[i] if i < len(regions) else "").strip()[:8],
            "pattern": (texts[i] if i < len(texts) else "").strip()[:400],
        }
        if row["name"] or row["pattern"]:
            rows.append(row)
    return rows


def _format_error(exc: ValidationFailed) -> dict[str, str]:
    """``patterns.2.pattern`` -> the row's field id; regions and the rest as they are."""
    field = exc.field or ""
    parts = field.split(".")
    if len(parts) == 3 and parts[0] == "patterns":
        return {f"pattern-{parts[1]}-{parts[2]}": sentence(exc)}
    return {parts[0] if parts[0] in _FORMATS else "_form": sentence(exc)}


@router.post("/sites/{site_id}/plate-formats", dependencies=WRITE)
def save_plate_formats(
    request: Request,
    site_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    regions: Annotated[list[str] | None, Form()] = None,
    pattern_name: Annotated[list[str] | None, Form()] = None,
    pattern_region: Annotated[list[str] | None, Form()] = None,
    pattern_text: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """The regions ticked (all of them: every region, new ones included) and the
    site's own patterns (blank rows are left out)."""
    container.sites.get(principal, site_id)
    ticked = [r[:8] for r in (regions or [])][: len(PlateRegion) + 1]
    rows = _patterns(pattern_name or [], pattern_region or [], pattern_text or [])
    formats = {"regions": ticked, "patterns": rows}
    every = {r.value for r in PlateRegion} <= set(ticked)
    try:
        container.sites.set_plate_settings(
            principal,
            site_id,
            regions=None if every else ticked,
            patterns=[PlatePattern(r["name"], r["region"], r["pattern"]) for r in rows],
        )
    except ValidationFailed as exc:
        return _site_page(
            request,
            principal,
            container,
            site_id,
            formats=formats,
            format_errors=_format_error(exc),
            status_code=422,
        )
    return RedirectResponse(f"/ui/sites/{site_id}?notice=plate_formats_saved", status_code=303)
