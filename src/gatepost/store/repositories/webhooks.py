"""Webhook endpoints and the notification outbox (rows in, ``domain.webhooks`` out).

Deliveries are claimed with a lease: one conditional UPDATE sets ``lease_owner`` to a
token unique to the claim on due, unleased pending rows, and the claim reads back the
rows holding that token. On PostgreSQL a second claimer blocks on the rows the first
updated and re-checks the condition (now leased) before it writes, so it skips them;
on SQLite writers are serialised. A lease that runs out (the claimer died) makes the
row due again.

Every change to an endpoint that decides who receives what (adding, deleting, its URL,
types or enabled flag) bumps ``tenants.webhooks_version`` in the same transaction, so
the notifications' endpoint cache (``services.notifications``) sees it on the next
arrival, in every process. Failure counts and secrets do not: the cache holds neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from gatepost.domain.webhooks import Channel, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from gatepost.store.tables import Tenant, WebhookDeliveryRow, WebhookEndpointRow

__all__ = ["WebhookRepository", "bump_receivers"]

# Endpoint columns whose change does not alter who receives a notification.
_UNCACHED = frozenset({"failure_streak", "secret_sealed"})


def _endpoint(row: WebhookEndpointRow) -> WebhookEndpoint:
    return WebhookEndpoint(
        tenant_id=row.tenant_id,
        id=row.id,
        url=row.url,
        description=row.description,
        event_types=tuple(row.event_types),
        enabled=row.enabled,
        created_at=row.created_at,
        disabled_reason=row.disabled_reason,
        failure_streak=row.failure_streak,
    )


def _delivery(row: WebhookDeliveryRow) -> WebhookDelivery:
    return WebhookDelivery(
        tenant_id=row.tenant_id,
        id=row.id,
        endpoint_id=row.endpoint_id,
        channel=Channel(row.channel),
        event_type=row.event_type,
        payload=dict(row.payload),
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
    )


def bump_receivers(session: Session, tenant_id: str) -> None:
    """The tenant's receivers changed (an endpoint, or an MQTT notification subscriber):
    bump ``tenants.webhooks_version``, which the notifications' receiver cache follows."""
    session.execute(
        update(Tenant)
        .where(Tenant.id == tenant_id)
        .values(webhooks_version=Tenant.webhooks_version + 1)
        .execution_options(synchronize_session=False)
    )


# Pre-built statements of the arrival pipeline's hot path (bound per call): built once,
# their SQL compiled and cached once, instead of on every arrival (docs/access.md).
_WEBHOOKS_VERSION = select(Tenant.webhooks_version).where(Tenant.id == bindparam("tenant_id"))


class WebhookRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    # -- endpoints ------------------------------------------------------------------

    def version(self, *, tenant_id: str) -> int:
        """The tenant's endpoint version (bumped by every change to who receives what)."""
        return int(self._session.scalar(_WEBHOOKS_VERSION, {"tenant_id": tenant_id}) or 0)

    def _bump_version(self, tenant_id: str) -> None:
        bump_receivers(self._session, tenant_id)

    def add_endpoint(self, endpoint: WebhookEndpoint, *, secret_sealed: bytes) -> None:
        self._session.add(
            WebhookEndpointRow(
                tenant_id=endpoint.tenant_id,
                id=endpoint.id,
                url=endpoint.url,
                description=endpoint.description,
                event_types=list(endpoint.event_types),
                secret_sealed=secret_sealed,
                enabled=endpoint.enabled,
                created_at=endpoint.created_at,
                disabled_reason=endpoint.disabled_reason,
                failure_streak=endpoint.failure_streak,
            )
        )
        self._session.flush()
        self._bump_version(endpoint.tenant_id)

    def endpoint(self, *, tenant_id: str, endpoint_id: str) -> WebhookEndpoint | None:
        row = self._session.get(WebhookEndpointRow, (tenant_id, endpoint_id))
        return _endpoint(row) if row is not None else None

    def sealed_secret(self, *, tenant_id: str, endpoint_id: str) -> bytes | None:
        return self._session.scalar(
            select(WebhookEndpointRow.secret_sealed).where(
                WebhookEndpointRow.tenant_id == tenant_id, WebhookEndpointRow.id == endpoint_id
            )
        )

    def endpoints(self, *, tenant_id: str, enabled_only: bool = False) -> list[WebhookEndpoint]:
        query = (
            select(WebhookEndpointRow)
            .where(WebhookEndpointRow.tenant_id == tenant_id)
            .order_by(WebhookEndpointRow.created_at, WebhookEndpointRow.id)
        )
        if enabled_only:
            query = query.where(WebhookEndpointRow.enabled.is_(True))
        return [_endpoint(row) for row in self._session.scalars(query)]

    def update_endpoint(self, *, tenant_id: str, endpoint_id: str, **values: Any) -> bool:
        """Set columns of an endpoint (``secret_sealed`` too); False when it is not there."""
        row = self._session.get(WebhookEndpointRow, (tenant_id, endpoint_id))
        if row is None:
            return False
        for name, value in values.items():
            setattr(row, name, list(value) if name == "event_types" else value)
        self._session.flush()
        if set(values) - _UNCACHED:
            self._bump_version(tenant_id)
        return True

    def delete_endpoint(self, *, tenant_id: str, endpoint_id: str) -> bool:
        """Delete an endpoint with its delivery log."""
        self._session.execute(
            delete(WebhookDeliveryRow).where(
                WebhookDeliveryRow.tenant_id == tenant_id,
                WebhookDeliveryRow.endpoint_id == endpoint_id,
            )
        )
        result = self._session.execute(
            delete(WebhookEndpointRow).where(
                WebhookEndpointRow.tenant_id == tenant_id, WebhookEndpointRow.id == endpoint_id
            )
        )
        self._bump_version(tenant_id)
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    # -- deliveries -----------------------------------------------------------------

    def enqueue(self, deliveries: Sequence[WebhookDelivery]) -> None:
        for d in deliveries:
            self._session.add(
                WebhookDeliveryRow(
                    tenant_id=d.tenant_id,
                    id=d.id,
                    endpoint_id=d.endpoint_id,
                    channel=d.channel.value,
                    event_type=d.event_type,
                    payload=d.payload,
                    status=d.status.value,
                    attempts=d.attempts,
                    next_attempt_at=d.next_attempt_at,
                    created_at=d.created_at,
                )
            )
        if deliveries:
            self._session.flush()

    def delivery(self, *, tenant_id: str, delivery_id: str) -> WebhookDelivery | None:
        row = self._session.get(WebhookDeliveryRow, (tenant_id, delivery_id))
        return _delivery(row) if row is not None else None

    def deliveries(
        self, *, tenant_id: str, endpoint_id: str, limit: int, before: tuple[datetime, str] | None
    ) -> list[WebhookDelivery]:
        """An endpoint's deliveries, newest first, keyset-paginated on (created_at, id)."""
        row = WebhookDeliveryRow
        query = (
            select(row)
            .where(row.tenant_id == tenant_id, row.endpoint_id == endpoint_id)
            .order_by(row.created_at.desc(), row.id.desc())
            .limit(limit)
        )
        if before is not None:
            at, row_id = before
            query = query.where(
                (row.created_at < at) | ((row.created_at == at) & (row.id < row_id))
            )
        return [_delivery(r) for r in self._session.scalars(query)]

    def claim_due(
        self, *, now: datetime, lease_until: datetime, owner: str, limit: int
    ) -> list[WebhookDelivery]:
        """Lease up to ``limit`` due pending deliveries (of every tenant that is not
        suspended: a suspended tenant's stay queued until it is resumed) to ``owner``, a
        token unique to this claim; see the module doc."""
        row = WebhookDeliveryRow
        suspended = select(Tenant.id).where(Tenant.suspended_at.is_not(None))
        due = (
            (row.status == DeliveryStatus.PENDING.value)
            & (row.next_attempt_at <= now)
            & or_(row.lease_until.is_(None), row.lease_until < now)
            & row.tenant_id.not_in(suspended)
        )
        candidates = (
            select(row.tenant_id, row.id)
            .where(due)
            .order_by(row.next_attempt_at)
            .limit(limit)
            .subquery()
        )
        self._session.execute(
            update(row)
            .where(
                due,
                row.tenant_id.in_(select(candidates.c.tenant_id)),
                row.id.in_(select(candidates.c.id)),
            )
            .values(lease_owner=owner, lease_until=lease_until)
            .execution_options(synchronize_session=False)
        )
        claimed = self._session.scalars(
            select(row).where(row.lease_owner == owner).order_by(row.next_attempt_at)
        )
        return [_delivery(r) for r in claimed]

    def renew_lease(
        self, *, tenant_id: str, delivery_id: str, owner: str, now: datetime, lease_until: datetime
    ) -> bool:
        """Extend ``owner``'s lease on a pending delivery it still holds (its lease has
        not run out); False when it lost the row."""
        row = WebhookDeliveryRow
        result = self._session.execute(
            update(row)
            .where(
                row.tenant_id == tenant_id,
                row.id == delivery_id,
                row.lease_owner == owner,
                row.lease_until >= now,
                row.status == DeliveryStatus.PENDING.value,
            )
            .values(lease_until=lease_until)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    def record_attempt(
        self,
        *,
        tenant_id: str,
        delivery_id: str,
        owner: str,
        status: DeliveryStatus,
        attempts: int,
        next_attempt_at: datetime | None,
        status_code: int | None,
        error: str | None,
        delivered_at: datetime | None,
    ) -> bool:
        """Write an attempt's outcome and release the lease; False when the lease was
        lost (it ran out and another notifier took the row)."""
        row = WebhookDeliveryRow
        result = self._session.execute(
            update(row)
            .where(row.tenant_id == tenant_id, row.id == delivery_id, row.lease_owner == owner)
            .values(
                status=status.value,
                attempts=attempts,
                next_attempt_at=next_attempt_at,
                last_status_code=status_code,
                last_error=error,
                delivered_at=delivered_at,
                lease_owner=None,
                lease_until=None,
            )
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    def requeue(self, *, tenant_id: str, delivery_id: str, at: datetime) -> bool:
        """Make a delivery due again now, with a fresh attempt count (a manual retry)."""
        row = WebhookDeliveryRow
        result = self._session.execute(
            update(row)
            .where(row.tenant_id == tenant_id, row.id == delivery_id)
            .values(
                status=DeliveryStatus.PENDING.value,
                attempts=0,
                next_attempt_at=at,
                delivered_at=None,
                lease_owner=None,
                lease_until=None,
            )
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    def finished_before(
        self, *, tenant_id: str, status: DeliveryStatus, before: datetime, limit: int
    ) -> list[str]:
        """Up to ``limit`` ids of the tenant's deliveries in ``status`` (delivered or
        failed) created before ``before``: what the retention purge removes."""
        row = WebhookDeliveryRow
        query = (
            select(row.id)
            .where(row.tenant_id == tenant_id, row.status == status.value, row.created_at < before)
            .order_by(row.created_at)
            .limit(limit)
        )
        return list(self._session.scalars(query))

    def delete_deliveries(self, *, tenant_id: str, delivery_ids: Sequence[str]) -> int:
        if not delivery_ids:
            return 0
        row = WebhookDeliveryRow
        result = self._session.execute(
            delete(row).where(row.tenant_id == tenant_id, row.id.in_(list(delivery_ids)))
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def fail_pending(self, *, tenant_id: str, endpoint_id: str, reason: str) -> None:
        """Give up an endpoint's pending deliveries (it was disabled)."""
        row = WebhookDeliveryRow
        self._session.execute(
            update(row)
            .where(
                row.tenant_id == tenant_id,
                row.endpoint_id == endpoint_id,
                row.status == DeliveryStatus.PENDING.value,
            )
            .values(status=DeliveryStatus.FAILED.value, last_error=reason, next_attempt_at=None)
            .execution_options(synchronize_session=False)
        )
