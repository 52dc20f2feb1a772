"""The notification outbox's retention: the retention purge removes delivered rows older
than ``webhooks.keep_delivered_days`` (30) and failed ones older than
``keep_failed_days`` (90), in batches, each with its receipt; pending rows and younger
ones stay, and so do other tenants' rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gatepost.domain.webhooks import Channel, DeliveryStatus, WebhookDelivery
from gatepost.services.container import Container
from gatepost.services.retention import RetentionService
from gatepost.store.ids import new_id
from tests.support.api import Actor, add_tenant

AGES = (10, 31, 89, 91)  # days
FAR_FUTURE = datetime(2999, 1, 1, tzinfo=UTC)


def _row(tenant_id: str, status: DeliveryStatus, created_at: datetime) -> WebhookDelivery:
    return WebhookDelivery(
        tenant_id=tenant_id,
        id=new_id(),
        endpoint_id=None,
        channel=Channel.MQTT,
        event_type="alert.raised",
        payload={"id": f"msg_{new_id()}"},
        status=status,
        attempts=1,
        next_attempt_at=created_at if status is DeliveryStatus.PENDING else None,
        last_status_code=None,
        last_error=None,
        created_at=created_at,
        delivered_at=created_at if status is DeliveryStatus.DELIVERED else None,
    )


def _queue(container: Container, tenant_id: str, now: datetime, copies: int) -> None:
    """``copies`` rows of each status at each age in AGES."""
    rows = [
        _row(tenant_id, status, now - timedelta(days=days, minutes=i))
        for status in DeliveryStatus
        for days in AGES
        for i in range(copies)
    ]
    with container.tx.write() as uow:
        uow.webhooks.enqueue(rows)


def _left(container: Container, tenant_id: str) -> dict[tuple[str, int], int]:
    """(status, age in days) -> rows left."""
    now = container.clock.now()
    left: dict[tuple[str, int], int] = {}
    with container.tx.read() as uow:
        for status in DeliveryStatus:
            for delivery_id in uow.webhooks.finished_before(
                tenant_id=tenant_id, status=status, before=FAR_FUTURE, limit=10_000
            ):
                row = uow.webhooks.delivery(tenant_id=tenant_id, delivery_id=delivery_id)
                assert row is not None
                key = (status.value, (now - row.created_at).days)
                left[key] = left.get(key, 0) + 1
    return left


def test_old_delivered_and_failed_rows_are_purged_in_batches_with_receipts(
    admin: Actor, container: Container
) -> None:
    other = add_tenant(admin, "globex")
    now = container.clock.now()
    _queue(container, admin.tenant_id, now, copies=3)
    _queue(container, other.tenant_id, now, copies=1)
    retention = RetentionService(tx=container.tx, media=container.media, batch=2)

    receipt = retention.purge_tenant(admin.tenant_id, now)

    # Delivered: 31, 89 and 91 days old go (3 ages x 3 copies); failed: 91 days (3).
    assert receipt.deliveries == 12 and receipt.removed == 12
    assert _left(container, admin.tenant_id) == {
        ("pending", 10): 3,
        ("pending", 31): 3,
        ("pending", 89): 3,
        ("pending", 91): 3,
        ("delivered", 10): 3,
        ("failed", 10): 3,
        ("failed", 31): 3,
        ("failed", 89): 3,
    }
    assert sum(_left(container, other.tenant_id).values()) == 12  # untouched
    with container.tx.read() as uow:
        receipts = uow.audit_log.list(
            tenant_id=admin.tenant_id, limit=100, action="retention.purged"
        )
    counted = [int(v) for e in receipts for k, v in e.details.items() if k.endswith("_deliveries")]
    assert sorted(counted) == [1, 1, 2, 2, 2, 2, 2]  # batches of 2: 9 delivered, 3 failed
    assert retention.purge_tenant(admin.tenant_id, now).deliveries == 0


def test_the_purge_job_uses_the_keep_settings(admin: Actor, container: Container) -> None:
    now = container.clock.now()
    _queue(container, admin.tenant_id, now, copies=1)
    keep = RetentionService(
        tx=container.tx,
        media=container.media,
        keep_delivered=timedelta(days=90),
        keep_failed=timedelta(days=30),
    )
    assert keep.purge_tenant(admin.tenant_id, now).deliveries == 1 + 3
    receipts = {r.tenant_id: r for r in container.retention.purge_expired(now + timedelta(days=1))}
    # The container's job (30 / 90 days): delivered 31 and 89 days old (now 32, 90) go.
    assert receipts[admin.tenant_id].deliveries == 2
