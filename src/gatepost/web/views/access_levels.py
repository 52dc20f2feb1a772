"""Access levels: which access points, on which schedule (``/ui/access-levels``).

Whoever may read access rules sees the list and a level's page: its schedule, its
access points grouped by site and zone and, for whoever may read people's access, how
many persons hold it and who (linked to their pages). Whoever may write access rules
creates, edits and deletes levels (behind a confirmation that says how many persons
lose the level). A refusal by the service is shown next to its field with what was
chosen kept; an unchanged form writes nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.errors import Conflict, ValidationFailed
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
from gatepost.services.access_levels import AccessLevelDraft
from gatepost.services.container import Container
from gatepost.store.repositories.access_levels import StoredAccessLevel
from gatepost.store.repositories.access_rules import StoredAccessPoint
from gatepost.web.forms import MAX_LIMIT, optional, page_limit, sentence
from gatepost.web.i18n import N_, gettext
from gatepost.web.lookups import person_names, site_names
from gatepost.web.rendering import can, render

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

HOLDERS_SHOWN = 50
_MESSAGES = {
    "name": N_("Enter a name of 1 to 120 characters."),
    "schedule_id": N_("Choose a schedule from the list."),
    "access_point_ids": N_("Choose access points from the list."),
}
_TAKEN = N_("Another access level already has this name.")


# -- the form's fields ------------------------------------------------------------------


@dataclass
class LevelForm:
    name: str = ""
    schedule_id: str = ""
    access_point_ids: list[str] = field(default_factory=list)


async def _submitted(request: Request) -> LevelForm:
    """The form as typed (shown again with any error)."""
    data = await request.form()
    name, schedule_id = (data.get(key, "") for key in ("name", "schedule_id"))
    points = [p[:64] for p in data.getlist("access_point_ids") if isinstance(p, str)]
    return LevelForm(
        name=name[:200] if isinstance(name, str) else "",
        schedule_id=schedule_id[:64] if isinstance(schedule_id, str) else "",
        access_point_ids=list(dict.fromkeys(points))[: MAX_LIMIT * 5],
    )


Submitted = Annotated[LevelForm, Depends(_submitted)]


def _form_of(level: StoredAccessLevel) -> LevelForm:
    return LevelForm(level.name, level.schedule_id, sorted(level.access_point_ids))


def _refusal(exc: ValidationFailed | Conflict) -> dict[str, str]:
    if isinstance(exc, Conflict):
        return {"name": gettext(_TAKEN)}
    field_name = exc.field if exc.field in _MESSAGES else "_form"
    known = _MESSAGES.get(field_name)
    return {field_name: gettext(known) if known else sentence(exc)}


def _changes(level: StoredAccessLevel, form: LevelForm) -> dict[str, object]:
    """Only what the form changed (the service's audit entry names these fields)."""
    changed: dict[str, object] = {}
    if " ".join(form.name.split()) != level.name:
        changed["name"] = form.name
    if form.schedule_id != level.schedule_id:
        changed["schedule_id"] = form.schedule_id
    if set(form.access_point_ids) != set(level.access_point_ids):
        changed["access_point_ids"] = form.access_point_ids
    return changed


# -- lookups ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PointGroup:
    """Access points of one site, by the zone they lead into (``zones``: name -> points)."""

    site_name: str
    zones: list[tuple[str, list[StoredAccessPoint]]]


def _point_groups(
    container: Container, principal: Principal, only: Collection[str] | None = None
) -> list[PointGroup]:
    """The tenant's access points (one page) by site, then zone, then name."""
    points = container.access_rules.list_access_points(principal, limit=MAX_LIMIT, after=None)
    zones = container.access_rules.list_zones(principal, limit=MAX_LIMIT, after=None)
    zone_names = {zone.id: zone.name for zone in zones.items}
    sites = site_names(container, principal)
    by_site: dict[str, dict[str, list[StoredAccessPoint]]] = {}
    for point in points.items:
        if only is not None and point.id not in only:
            continue
        site = sites.get(point.site_id) or gettext("Site %(id)s") % {"id": point.site_id[:8]}
        zone = zone_names.get(point.into_zone_id or "", "") or gettext("No zone")
        by_site.setdefault(site, {}).setdefault(zone, []).append(point)
    return [
        PointGroup(
            site,
            [
                (zone, sorted(found, key=lambda p: p.name.casefold()))
                for zone, found in sorted(zones_of.items(), key=lambda z: z[0].casefold())
            ],
        )
        for site, zones_of in sorted(by_site.items(), key=lambda s: s[0].casefold())
    ]


def _point_ids(groups: Iterable[PointGroup]) -> set[str]:
    return {point.id for group in groups for _, points in group.zones for point in points}


def _schedule_names(container: Container, principal: Principal) -> dict[str, str]:
    page = container.schedules.list(principal, limit=MAX_LIMIT, after=None)
    names = {stored.id: stored.name for stored in page.items}
    return dict(sorted(names.items(), key=lambda item: item[1].casefold()))


# -- the list and one level -------------------------------------------------------------


@router.get("/access-levels", dependencies=[require(Permission.ACCESS_RULES_READ)])
def access_levels(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    cursor: str = "",
    limit: str = "",
) -> Response:
    page = container.access_levels.list(
        principal, limit=page_limit(limit), after=optional(cursor, 64)
    )
    see_holders = can(principal, Permission.PERSON_ACCESS_READ)
    context: dict[str, Any] = {
        "active": "access_levels",
        "page": page,
        "schedules": _schedule_names(container, principal),
        "holders": container.access_levels.holder_counts(principal) if see_holders else None,
        "can_write": can(principal, Permission.ACCESS_RULES_WRITE),
    }
    return render(request, "pages/access_levels.html", context)


@router.get("/access-levels/new", dependencies=[require(Permission.ACCESS_RULES_WRITE)])
def new_access_level(
    request: Request, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    return _level_form(request, principal, container, form=LevelForm())


@router.get(
    "/access-levels/{access_level_id}", dependencies=[require(Permission.ACCESS_RULES_READ)]
)
def access_level_detail(
    request: Request, access_level_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    level = container.access_levels.get(principal, access_level_id)
    groups = _point_groups(container, principal, only=level.access_point_ids)
    context: dict[str, Any] = {
        "active": "access_levels",
        "level": level,
        "schedule_name": _schedule_names(container, principal).get(level.schedule_id, ""),
        "groups": groups,
        "unlisted": len(level.access_point_ids - _point_ids(groups)),
        "holder_count": None,
        "holders": {},
        "can_write": can(principal, Permission.ACCESS_RULES_WRITE),
    }
    if can(principal, Permission.PERSON_ACCESS_READ):
        context["holder_count"] = container.access_levels.holder_counts(principal).get(level.id, 0)
        ids = container.access_levels.holders(principal, level.id, limit=HOLDERS_SHOWN)
        names = person_names(container, principal, ids)
        context["holders"] = {
            pid: names.get(pid) or gettext("Person %(id)s") % {"id": pid[:8]} for pid in ids
        }
    return render(request, "pages/access_level.html", context)


# -- the form ---------------------------------------------------------------------------


def _level_form(
    request: Request,
    principal: Principal,
    container: Container,
    *,
    form: LevelForm,
    level: StoredAccessLevel | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    groups = _point_groups(container, principal)
    context: dict[str, Any] = {
        "active": "access_levels",
        "level": level,
        "form": form,
        "selected": set(form.access_point_ids),
        "unlisted": [p for p in form.access_point_ids if p not in _point_ids(groups)],
        "groups": groups,
        "schedules": _schedule_names(container, principal),
        "errors": errors or {},
    }
    return render(request, "pages/access_level_form.html", context, status_code=status_code)


def _draft(form: LevelForm) -> tuple[AccessLevelDraft | None, dict[str, str]]:
    errors: dict[str, str] = {}
    if not form.name.strip():
        errors["name"] = gettext("Enter a name for the access level.")
    if not form.schedule_id:
        errors["schedule_id"] = gettext("Choose when the level lets people through.")
    if errors:
        return None, errors
    return AccessLevelDraft(form.name, form.schedule_id, form.access_point_ids), {}


@router.post("/access-levels", dependencies=[require(Permission.ACCESS_RULES_WRITE)])
def create_access_level(
    request: Request, principal: CurrentPrincipal, container: ContainerDep, form: Submitted
) -> Response:
    proposed, errors = _draft(form)
    status = 422
    if proposed is not None:
        try:
            level = container.access_levels.create(principal, proposed)
        except (ValidationFailed, Conflict) as exc:
            errors = _refusal(exc)
            status = 409 if isinstance(exc, Conflict) else 422
        else:
            return RedirectResponse(
                f"/ui/access-levels/{level.id}?notice=access_level_created", status_code=303
            )
    return _level_form(request, principal, container, form=form, errors=errors, status_code=status)


@router.get(
    "/access-levels/{access_level_id}/edit", dependencies=[require(Permission.ACCESS_RULES_WRITE)]
)
def edit_access_level(
    request: Request, access_level_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    level = container.access_levels.get(principal, access_level_id)
    return _level_form(request, principal, container, form=_form_of(level), level=level)


@router.post(
    "/access-levels/{access_level_id}/edit", dependencies=[require(Permission.ACCESS_RULES_WRITE)]
)
def save_access_level(
    request: Request,
    access_level_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    form: Submitted,
) -> Response:
    level = container.access_levels.get(principal, access_level_id)
    proposed, errors = _draft(form)
    status = 422
    if proposed is not None:
        try:
            changed = _changes(level, form)
            if changed:
                container.access_levels.update(principal, access_level_id, changed)
        except (ValidationFailed, Conflict) as exc:
            errors = _refusal(exc)
            status = 409 if isinstance(exc, Conflict) else 422
        else:
            return RedirectResponse(
                f"/ui/access-levels/{access_level_id}?notice=access_level_saved", status_code=303
            )
    return _level_form(
        request, principal, container, form=form, level=level, errors=errors, status_code=status
    )


@router.post(
    "/access-levels/{access_level_id}/delete", dependencies=[require(Permission.ACCESS_RULES_WRITE)]
)
def delete_access_level(
    access_level_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    container.access_levels.delete(principal, access_level_id)
    return RedirectResponse("/ui/access-levels?notice=access_level_deleted", status_code=303)
