"""Alert, webhook endpoint and delivery schemas (docs/notifications.md). An endpoint's
secret appears only in :class:`WebhookIssued`, the answer to create and rotate."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from gatepost.api.schemas.base import Input, Output
from gatepost.domain.decisions import AlertKind, Severity
from gatepost.domain.webhooks import Channel, DeliveryStatus, NotificationType

__all__ = [
    "AlertAcknowledge",
    "AlertPublic",
    "WebhookCreate",
    "WebhookDeliveryPublic",
    "WebhookIssued",
    "WebhookPublic",
    "WebhookUpdate",
]

EventType = Literal["access.decided", "alert.raised", "alert.acknowledged"]
EventTypes = Annotated[
    list[EventType],
    Field(
        max_length=3,
        description="The notification types to send; empty: all of them.",
    ),
]
Url = Annotated[
    str,
    Field(
        min_length=8,
        max_length=2000,
        description="https:// URL that receives the notifications (public addresses only).",
    ),
]
Description = Annotated[str, Field(max_length=200, description="What the receiver is.")]


class AlertPublic(Output):
    id: str
    site_id: str
    access_point_id: str
    event_id: str
    kind: AlertKind
    severity: Severity
    silent: bool
    person_id: str | None
    vehicle_id: str | None
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledged_note: str | None


class AlertAcknowledge(Input):
    note: str = Field(
        min_length=1, max_length=500, description="What was done about it (required)."
    )


class WebhookCreate(Input):
    url: Url
    description: Description = ""
    event_types: EventTypes = Field(default_factory=list)


class WebhookUpdate(Input):
    url: Url | None = None
    description: Description | None = None
    event_types: EventTypes | None = None
    enabled: bool | None = Field(
        default=None, description="false stops deliveries; true re-enables a disabled one."
    )


class WebhookPublic(Output):
    id: str
    url: str
    description: str
    event_types: list[EventType]
    enabled: bool
    disabled_reason: str | None
    failure_streak: int
    created_at: datetime


class WebhookIssued(WebhookPublic):
    secret: str = Field(
        description="whsec_<base64>: the signing secret, shown this once. Keep it in the "
        "receiver's configuration."
    )


class WebhookDeliveryPublic(Output):
    id: str
    endpoint_id: str | None
    channel: Channel
    event_type: NotificationType
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]
