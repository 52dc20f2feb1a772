"""MQTT notification subscribers: broker accounts that read the tenant's notification
topics only (docs/notifications.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.api.schemas.base import ERROR_RESPONSES
from gatepost.api.schemas.notification_subscribers import (
    NotificationSubscriberCreate,
    NotificationSubscriberIssued,
    NotificationSubscriberPublic,
)
from gatepost.security.permissions import Permission
from gatepost.services.notification_subscribers import IssuedSubscriber

router = APIRouter(
    route_class=GuardedRoute,
    prefix="/api/v1/notification-subscribers",
    tags=["webhooks"],
    responses=ERROR_RESPONSES,
)

SubscriberIdPath = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="A 32-hex-digit id.")]
READ = [require(Permission.WEBHOOKS_READ)]
WRITE = [require(Permission.WEBHOOKS_WRITE)]


def _issued(issued: IssuedSubscriber) -> NotificationSubscriberIssued:
    public = NotificationSubscriberPublic.model_validate(issued.subscriber).model_dump()
    return NotificationSubscriberIssued.model_validate({**public, "password": issued.password})


@router.get("", dependencies=READ)
def list_notification_subscribers(
    principal: CurrentPrincipal, container: ContainerDep
) -> list[NotificationSubscriberPublic]:
    subscribers = container.notification_subscribers.list(principal)
    return [NotificationSubscriberPublic.model_validate(s) for s in subscribers]


@router.post("", status_code=201, dependencies=WRITE)
def create_notification_subscriber(
    body: NotificationSubscriberCreate, principal: CurrentPrincipal, container: ContainerDep
) -> NotificationSubscriberIssued:
    """A broker account that may read this tenant's notification topics. The answer
    carries its password, shown this once."""
    return _issued(container.notification_subscribers.create(principal, name=body.name))


@router.post("/{subscriber_id}/rotate", dependencies=WRITE)
def rotate_notification_subscriber(
    subscriber_id: SubscriberIdPath, principal: CurrentPrincipal, container: ContainerDep
) -> NotificationSubscriberIssued:
    """A new password, shown this once; the old one is refused from now on."""
    return _issued(container.notification_subscribers.rotate(principal, subscriber_id))


@router.delete("/{subscriber_id}", status_code=204, dependencies=WRITE)
def delete_notification_subscriber(
    subscriber_id: SubscriberIdPath, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    """Revoke the account: removed from the broker at once."""
    container.notification_subscribers.delete(principal, subscriber_id)
    return Response(status_code=204)
