"""Notifications: what gatepost tells integrators, queued in the transaction of what
they report (docs/notifications.md).

:meth:`Notifications.enqueue` writes one outbox row per receiver: each enabled webhook
endpoint of the tenant whose filter takes the type, and (``mqtt.enabled``, and the
tenant has a notification subscriber account that could read it) the tenant's MQTT
notification topic. The notifier (``services.webhook_dispatch``) sends them after the
commit, so a notification exists exactly when what it reports was stored. A tenant with
no receivers gets no rows: an arrival then costs the outbox nothing.

The tenant's receivers are cached per process at the tenant's ``webhooks_version``
(``services.caches.VersionedCache``), bumped with every endpoint change and every
subscriber created or deleted: an arrival with no change reads the version only.

Every body has the same shape, and holds ids and codes only, never a name or another
personal value::

    {"id": "msg_<32 hex>", "type": "alert.raised", "timestamp": "<ISO 8601 UTC>",
     "tenant_id": "...", "data": {...}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gatepost.domain.alerts import AlertRecord
from gatepost.domain.decisions import Decision
from gatepost.domain.ports import Clock
from gatepost.domain.webhooks import (
    Channel,
    DeliveryStatus,
    NotificationType,
    WebhookDelivery,
    WebhookEndpoint,
)
from gatepost.services.caches import VersionedCache
from gatepost.services.uow import UnitOfWork
from gatepost.store.ids import new_id

__all__ = ["Notifications", "access_decided_data", "alert_data"]


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def access_decided_data(
    *,
    event_id: str,
    site_id: str,
    device_id: str,
    access_point_id: str,
    decision: Decision,
    arrival: str,
    occurred_at: datetime,
) -> dict[str, Any]:
    """The ``access.decided`` data: the decision's codes and the ids it concerns."""
    return {
        "event_id": event_id,
        "site_id": site_id,
        "device_id": device_id,
        "access_point_id": access_point_id,
        "arrival": arrival,
        "outcome": decision.outcome.value,
        "reasons": [reason.value for reason in decision.reasons],
        "person_id": decision.person_id,
        "alerts": [alert.kind.value for alert in decision.alerts],
        "occurred_at": _iso(occurred_at),
    }


def alert_data(alert: AlertRecord) -> dict[str, Any]:
    """The ``alert.raised`` / ``alert.acknowledged`` data (never the note: free text)."""
    data: dict[str, Any] = {
        "alert_id": alert.id,
        "event_id": alert.event_id,
        "kind": alert.kind.value,
        "severity": alert.severity.value,
        "silent": alert.silent,
        "site_id": alert.site_id,
        "access_point_id": alert.access_point_id,
        "person_id": alert.person_id,
        "vehicle_id": alert.vehicle_id,
        "raised_at": _iso(alert.raised_at),
    }
    if alert.acknowledged_at is not None:
        data["acknowledged_at"] = _iso(alert.acknowledged_at)
        data["acknowledged_by"] = alert.acknowledged_by
    return data


@dataclass(frozen=True)
class _Receivers:
    """Who takes a tenant's notifications: its enabled webhook endpoints, and whether
    any MQTT notification subscriber could read its topic (none: nothing is published)."""

    endpoints: tuple[WebhookEndpoint, ...]
    mqtt_subscribed: bool


class Notifications:
    """Queues notifications in a unit of work (see the module doc)."""

    def __init__(self, *, clock: Clock, mqtt: bool) -> None:
        self._clock = clock
        self._mqtt = mqtt
        self._receivers: VersionedCache[_Receivers] = VersionedCache()

    @property
    def endpoint_reads(self) -> int:
        """How often this process read a tenant's receivers (the cache's misses)."""
        return self._receivers.builds

    def _receivers_of(self, uow: UnitOfWork, tenant_id: str) -> _Receivers:
        """The tenant's enabled endpoints, and whether it has an MQTT notification
        subscriber, at the version the unit of work sees."""
        version = uow.webhooks.version(tenant_id=tenant_id)
        return self._receivers.get(
            tenant_id,
            version,
            lambda: _Receivers(
                tuple(uow.webhooks.endpoints(tenant_id=tenant_id, enabled_only=True)),
                uow.notification_subscribers.any(tenant_id=tenant_id),
            ),
        )

    def enqueue(
        self,
        uow: UnitOfWork,
        tenant_id: str,
        kind: NotificationType,
        data: Mapping[str, Any],
        *,
        only: WebhookEndpoint | None = None,
    ) -> list[WebhookDelivery]:
        """Queue ``kind`` with ``data`` for every receiver that takes it (``only``: for
        that endpoint alone, the test message); returns the rows written."""
        now = self._clock.now()
        payload = {
            "id": f"msg_{new_id()}",
            "type": kind.value,
            "timestamp": _iso(now),
            "tenant_id": tenant_id,
            "data": dict(data),
        }
        mqtt = False
        if only is not None:
            targets: list[WebhookEndpoint] = [only]
        else:
            receivers = self._receivers_of(uow, tenant_id)
            targets = [
                e
                for e in receivers.endpoints
                if e.wants(kind.value) and kind is not NotificationType.WEBHOOK_TEST
            ]
            mqtt = self._mqtt and receivers.mqtt_subscribed
        rows = [self._row(tenant_id, e.id, Channel.WEBHOOK, kind, payload, now) for e in targets]
        if mqtt:
            rows.append(self._row(tenant_id, None, Channel.MQTT, kind, payload, now))
        if rows:
            uow.webhooks.enqueue(rows)
        return rows

    @staticmethod
    def _row(
        tenant_id: str,
        endpoint_id: str | None,
        channel: Channel,
        kind: NotificationType,
        payload: dict[str, Any],
        now: datetime,
    ) -> WebhookDelivery:
        return WebhookDelivery(
            tenant_id=tenant_id,
            id=new_id(),
            endpoint_id=endpoint_id,
            channel=channel,
            event_type=kind.value,
            payload=payload,
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            last_status_code=None,
            last_error=None,
            created_at=now,
            delivered_at=None,
        )
