"""Webhook endpoints (Standard Webhooks), their secrets and delivery logs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.api.routes.common import CursorQuery, LimitQuery
from gatepost.api.schemas.base import ERROR_RESPONSES, PagePublic
from gatepost.api.schemas.notifications import (
    WebhookCreate,
    WebhookDeliveryPublic,
    WebhookIssued,
    WebhookPublic,
    WebhookUpdate,
)
from gatepost.security.permissions import Permission
from gatepost.services.webhooks import IssuedEndpoint

router = APIRouter(
    route_class=GuardedRoute,
    prefix="/api/v1/webhooks",
    tags=["webhooks"],
    responses=ERROR_RESPONSES,
)

_ID = r"^[0-9a-f]{32}$"
WebhookIdPath = Annotated[str, Path(pattern=_ID, description="A 32-hex-digit id.")]
DeliveryIdPath = Annotated[str, Path(pattern=_ID, description="A 32-hex-digit id.")]
READ = [require(Permission.WEBHOOKS_READ)]
WRITE = [require(Permission.WEBHOOKS_WRITE)]


def _issued(issued: IssuedEndpoint) -> WebhookIssued:
    public = WebhookPublic.model_validate(issued.endpoint).model_dump()
    return WebhookIssued.model_validate({**public, "secret": issued.secret})


@router.get("", dependencies=READ)
def list_webhooks(principal: CurrentPrincipal, container: ContainerDep) -> list[WebhookPublic]:
    return [WebhookPublic.model_validate(e) for e in container.webhooks.list(principal)]


@router.post("", status_code=201, dependencies=WRITE)
def create_webhook(
    body: WebhookCreate, principal: CurrentPrincipal, container: ContainerDep
) -> WebhookIssued:
    """Register a receiver. The answer carries its secret, shown this once."""
    issued = container.webhooks.create(
        principal, url=body.url, description=body.description, event_types=body.event_types
    )
    return _issued(issued)


@router.get("/{webhook_id}", dependencies=READ)
def get_webhook(
    webhook_id: WebhookIdPath, principal: CurrentPrincipal, container: ContainerDep
) -> WebhookPublic:
    return WebhookPublic.model_validate(container.webhooks.get(principal, webhook_id))


@router.patch("/{webhook_id}", dependencies=WRITE)
def update_webhook(
    webhook_id: WebhookIdPath,
    body: WebhookUpdate,
    principal: CurrentPrincipal,
    container: ContainerDep,
) -> WebhookPublic:
    endpoint = container.webhooks.update(
        principal,
        webhook_id,
        url=body.url,
        description=body.description,
        event_types=body.event_types,
        enabled=body.enabled,
    )
    return WebhookPublic.model_validate(endpoint)


@router.delete("/{webhook_id}", status_code=204, dependencies=WRITE)
def delete_webhook(
    webhook_id: WebhookIdPath, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    container.webhooks.delete(principal, webhook_id)
    return Response(status_code=204)


@router.post("/{webhook_id}/rotate-secret", dependencies=WRITE)
def rotate_webhook_secret(
    webhook_id: WebhookIdPath, principal: CurrentPrincipal, container: ContainerDep
) -> WebhookIssued:
    """A new secret, shown this once; the old one no longer signs."""
    return _issued(container.webhooks.rotate_secret(principal, webhook_id))


@router.get("/{webhook_id}/deliveries", dependencies=READ)
def list_webhook_deliveries(
    webhook_id: WebhookIdPath,
    principal: CurrentPrincipal,
    container: ContainerDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> PagePublic[WebhookDeliveryPublic]:
    """The endpoint's delivery log, newest first."""
    page = container.webhooks.deliveries(principal, webhook_id, limit=limit, cursor=cursor)
    return PagePublic.of(page, WebhookDeliveryPublic)


@router.post("/{webhook_id}/test", status_code=202, dependencies=WRITE)
def test_webhook(
    webhook_id: WebhookIdPath, principal: CurrentPrincipal, container: ContainerDep
) -> WebhookDeliveryPublic:
    """Queue a ``webhook.test`` message for this endpoint."""
    return WebhookDeliveryPublic.model_validate(container.webhooks.send_test(principal, webhook_id))


@router.post("/deliveries/{delivery_id}/retry", status_code=202, dependencies=WRITE)
def retry_webhook_delivery(
    delivery_id: DeliveryIdPath, principal: CurrentPrincipal, container: ContainerDep
) -> WebhookDeliveryPublic:
    """Send a delivery again now, with a fresh attempt count."""
    return WebhookDeliveryPublic.model_validate(container.webhooks.retry(principal, delivery_id))
