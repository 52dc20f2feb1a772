"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter

from gatepost.api.deps import ContainerDep, GuardedRoute, public

router = APIRouter(route_class=GuardedRoute, tags=["health"])


@router.get("/health", dependencies=[public("load balancers probe it")])
def health(container: ContainerDep) -> dict[str, str]:
    container.db.check()
    return {"status": "ok"}
