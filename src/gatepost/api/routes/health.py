"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter

from gatepost.api.deps import ContainerDep, GuardedRoute, public
from gatepost.api.schemas.base import ERROR_RESPONSES

router = APIRouter(route_class=GuardedRoute, tags=["health"], responses=ERROR_RESPONSES)


@router.get("/health", dependencies=[public("load balancers probe it")])
def health(container: ContainerDep) -> dict[str, str]:
    container.db.check()
    return {"status": "ok"}
