"""The "Access levels" card of a person's page: the levels they hold and the ones they
could be given (see :mod:`gatepost.web.views.person_access` for its actions)."""

from __future__ import annotations

from typing import Any

from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.web.forms import MAX_LIMIT
from gatepost.web.rendering import can

__all__ = ["access_context", "level_names"]


def level_names(container: Container, principal: Principal) -> dict[str, str]:
    """The tenant's access levels by name (one page), when the viewer may read them."""
    if not can(principal, Permission.ACCESS_RULES_READ):
        return {}
    page = container.access_levels.list(principal, limit=MAX_LIMIT, after=None)
    names = {level.id: level.name for level in page.items}
    return dict(sorted(names.items(), key=lambda item: item[1].casefold()))


def access_context(
    container: Container, principal: Principal, person_id: str, *, error: str | None = None
) -> dict[str, Any]:
    """The person page's "Access levels" card (``access`` None: not the viewer's to see)."""
    if not can(principal, Permission.PERSON_ACCESS_READ):
        return {"access": None}
    held = container.access_levels.assignments(principal, person_id)
    names = level_names(container, principal)
    holding = {assignment.access_level_id for assignment in held}
    return {
        "access": {
            "held": held,
            "names": names,
            "choices": {i: name for i, name in names.items() if i not in holding},
            "can_write": can(principal, Permission.PERSON_ACCESS_WRITE),
            "error": error,
        }
    }
