"""Page handlers of the admin UI, one module per area; see :data:`ROUTERS`."""

from __future__ import annotations

from fastapi import APIRouter

from gatepost.web.views import (
    account,
    audit,
    auth,
    dashboard,
    devices,
    events,
    face_policy,
    faces,
    fallback,
    gate_log,
    people,
    plate_test,
    vehicles,
)

__all__ = ["ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    account.router,
    dashboard.router,
    people.router,
    faces.router,
    face_policy.router,
    vehicles.router,
    plate_test.router,
    devices.router,
    events.router,
    gate_log.router,
    audit.router,
    fallback.router,  # last: it matches every /ui path
)
