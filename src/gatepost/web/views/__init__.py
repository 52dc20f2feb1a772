"""Page handlers of the admin UI, one module per area; see :data:`ROUTERS`."""

from __future__ import annotations

from fastapi import APIRouter

from gatepost.web.views import (
    access_levels,
    access_points,
    account,
    alerts,
    api_keys,
    audit,
    auth,
    dashboard,
    devices,
    events,
    face_policy,
    faces,
    fallback,
    gate_log,
    holidays,
    invite,
    language,
    live,
    muster,
    people,
    person_access,
    person_edit,
    plate_test,
    policies,
    schedules,
    sites,
    tenants,
    users,
    vehicles,
    webhooks,
)

__all__ = ["ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    invite.router,
    language.router,
    account.router,
    dashboard.router,
    person_edit.router,  # before people: /people/new ahead of /people/{person_id}
    people.router,
    person_access.router,
    faces.router,
    face_policy.router,
    vehicles.router,
    plate_test.router,
    devices.router,
    events.router,
    live.router,
    access_points.router,
    muster.router,
    gate_log.router,
    audit.router,
    schedules.router,
    access_levels.router,
    holidays.router,
    alerts.router,
    webhooks.router,
    tenants.router,
    sites.router,
    policies.router,
    users.router,
    api_keys.router,
    fallback.router,  # last: it matches every /ui path
)
