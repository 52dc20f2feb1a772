"""MQTT notification subscriber schemas (docs/notifications.md). The broker password
appears only in :class:`NotificationSubscriberIssued`, the answer to create and rotate."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, model_validator

from gatepost.api.schemas.base import Input, Output
from gatepost.domain.webhooks import notify_filter

__all__ = [
    "NotificationSubscriberCreate",
    "NotificationSubscriberIssued",
    "NotificationSubscriberPublic",
]


class NotificationSubscriberCreate(Input):
    name: str = Field(
        min_length=1, max_length=100, description="What the subscriber is (e.g. 'Control room')."
    )


class NotificationSubscriberPublic(Output):
    id: str
    name: str
    username: str = Field(description="The broker account: notify.<tenant_id>.<id>.")
    topic_filter: str = Field(
        description="What the account may read: gatepost-notify/<tenant_id>/# (nothing else)."
    )
    created_at: datetime
    rotated_at: datetime | None

    @model_validator(mode="before")
    @classmethod
    def _from_subscriber(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return data
        return {
            "id": data.id,
            "name": data.name,
            "username": data.username,
            "topic_filter": notify_filter(data.tenant_id),
            "created_at": data.created_at,
            "rotated_at": data.rotated_at,
        }


class NotificationSubscriberIssued(NotificationSubscriberPublic):
    password: str = Field(
        description="The broker password, shown this once (gatepost keeps only a hash)."
    )
