"""A person's access levels, on their page (``/ui/people/{person_id}``).

Whoever may read people's access sees the levels the person holds (each linked to its
page, with its validity window); whoever may write it gives the person another level
or takes one away, and the service audits both. :func:`access_context` is what the
person page adds for its "Access levels" card.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.security.permissions import Permission
from gatepost.web.forms import FormText
from gatepost.web.i18n import N_, gettext
from gatepost.web.person_levels import access_context, level_names
from gatepost.web.views.people import person_page

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

_NO_LEVEL = N_("Choose an access level from the list.")


@router.post(
    "/people/{person_id}/access-levels", dependencies=[require(Permission.PERSON_ACCESS_WRITE)]
)
def grant_level(
    request: Request,
    person_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    access_level_id: FormText = "",
) -> Response:
    """Give the person the chosen level (for good: the API sets validity windows)."""
    person = container.persons.get(principal, person_id)
    if access_level_id not in level_names(container, principal):
        extra = access_context(container, principal, person.id, error=gettext(_NO_LEVEL))
        return person_page(request, principal, container, person, extra=extra, status_code=422)
    container.access_levels.assign(principal, person.id, access_level_id)
    return RedirectResponse(
        f"/ui/people/{person.id}?notice=access_level_granted#access", status_code=303
    )


@router.post(
    "/people/{person_id}/access-levels/{access_level_id}/remove",
    dependencies=[require(Permission.PERSON_ACCESS_WRITE)],
)
def remove_level(
    person_id: str, access_level_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    container.access_levels.unassign(principal, person_id, access_level_id)
    return RedirectResponse(
        f"/ui/people/{person_id}?notice=access_level_removed#access", status_code=303
    )
