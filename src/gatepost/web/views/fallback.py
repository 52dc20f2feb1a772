"""Unknown ``/ui`` pages: the sign-in redirect when signed out, else a 404 page.

Mounted after every other view so it only answers paths that nothing else matched.
"""

from __future__ import annotations

from fastapi import APIRouter

from gatepost.api.deps import GuardedRoute, require
from gatepost.errors import NotFound
from gatepost.security.permissions import Permission

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)


@router.get("/{rest:path}", dependencies=[require(Permission.ACCOUNT_SELF)])
def not_found(rest: str) -> None:
    raise NotFound("page")
