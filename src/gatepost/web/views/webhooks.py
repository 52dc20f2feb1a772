"""Webhooks: endpoints (list, create with the secret shown once, enable/disable,
delete, send a test, rotate the secret) and each endpoint's delivery log with a retry
button. Forms post and redirect; nothing here needs JavaScript."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.errors import ValidationFailed
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.services.webhooks import EVENT_TYPES, IssuedEndpoint
from gatepost.web.forms import FormText, field_errors, optional, page_limit
from gatepost.web.rendering import can, render

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

_FIELDS = {"url", "description", "event_types"}
READ = [require(Permission.WEBHOOKS_READ)]
WRITE = [require(Permission.WEBHOOKS_WRITE)]


def _list(
    request: Request,
    principal: Principal,
    container: Container,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "active": "webhooks",
        "endpoints": container.webhooks.list(principal),
        "event_types": EVENT_TYPES,
        "form": form or {"url": "", "description": "", "event_types": []},
        "errors": errors or {},
        "can_write": can(principal, Permission.WEBHOOKS_WRITE),
    }
    return render(request, "pages/webhooks.html", context, status_code=status_code)


def _issued(request: Request, issued: IssuedEndpoint, *, status_code: int) -> Response:
    context = {"active": "webhooks", "endpoint": issued.endpoint, "secret": issued.secret}
    return render(request, "pages/webhook_issued.html", context, status_code=status_code)


def _to_endpoint(endpoint_id: str) -> Response:
    return RedirectResponse(f"/ui/webhooks/{endpoint_id}", status_code=303)


@router.get("/webhooks", dependencies=READ)
def webhooks(request: Request, principal: CurrentPrincipal, container: ContainerDep) -> Response:
    return _list(request, principal, container)


@router.post("/webhooks", dependencies=WRITE)
def create_webhook(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    url: FormText = "",
    description: FormText = "",
    event_types: Annotated[list[str] | None, Form()] = None,
) -> Response:
    chosen = list(event_types or [])
    form = {"url": url, "description": description, "event_types": chosen}
    try:
        if len(description) > 200:
            raise ValidationFailed("description is longer than 200 characters", field="description")
        issued = container.webhooks.create(
            principal, url=url, description=description, event_types=chosen
        )
    except ValidationFailed as exc:
        errors = field_errors(exc, known=_FIELDS)
        return _list(request, principal, container, form=form, errors=errors, status_code=422)
    return _issued(request, issued, status_code=201)


@router.get("/webhooks/{webhook_id}", dependencies=READ)
def webhook(
    request: Request,
    webhook_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    cursor: str = "",
    limit: str = "",
) -> Response:
    endpoint = container.webhooks.get(principal, webhook_id)
    page = container.webhooks.deliveries(
        principal, webhook_id, limit=page_limit(limit), cursor=optional(cursor)
    )
    context = {
        "active": "webhooks",
        "endpoint": endpoint,
        "page": page,
        "can_write": can(principal, Permission.WEBHOOKS_WRITE),
    }
    return render(request, "pages/webhook.html", context)


@router.post("/webhooks/{webhook_id}/enabled", dependencies=WRITE)
def set_enabled(
    webhook_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    enabled: FormText = "",
) -> Response:
    container.webhooks.get(principal, webhook_id)  # 404 before reading the form
    container.webhooks.update(principal, webhook_id, enabled=enabled == "true")
    return _to_endpoint(webhook_id)


@router.post("/webhooks/{webhook_id}/test", dependencies=WRITE)
def send_test(webhook_id: str, principal: CurrentPrincipal, container: ContainerDep) -> Response:
    container.webhooks.send_test(principal, webhook_id)
    return _to_endpoint(webhook_id)


@router.post("/webhooks/{webhook_id}/rotate-secret", dependencies=WRITE)
def rotate_secret(
    request: Request, webhook_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    return _issued(
        request, container.webhooks.rotate_secret(principal, webhook_id), status_code=200
    )


@router.post("/webhooks/{webhook_id}/delete", dependencies=WRITE)
def delete_webhook(
    webhook_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    container.webhooks.delete(principal, webhook_id)
    return RedirectResponse("/ui/webhooks", status_code=303)


@router.post("/webhooks/deliveries/{delivery_id}/retry", dependencies=WRITE)
def retry_delivery(
    delivery_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    delivery = container.webhooks.retry(principal, delivery_id)
    return _to_endpoint(delivery.endpoint_id or "")
