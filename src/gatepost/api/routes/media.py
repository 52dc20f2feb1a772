"""Serving media through signed, expiring, per-user URLs; there is no listing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.api.routes.common import IdPath
from gatepost.api.schemas.base import ERROR_RESPONSES
from gatepost.security.permissions import Permission

router = APIRouter(route_class=GuardedRoute, tags=["media"], responses=ERROR_RESPONSES)


@router.get(
    "/media/{media_id}",
    dependencies=[require(Permission.MEDIA_READ)],
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
def get_media(
    media_id: IdPath,
    principal: CurrentPrincipal,
    container: ContainerDep,
    exp: Annotated[int, Query(ge=0, le=2**40)],
    sig: Annotated[str, Query(min_length=1, max_length=64)],
) -> Response:
    content = container.media.fetch(principal, media_id, expires=exp, sig=sig)
    return Response(
        content=content.data,
        media_type=content.content_type,
        headers={"Content-Disposition": "inline"},
    )
