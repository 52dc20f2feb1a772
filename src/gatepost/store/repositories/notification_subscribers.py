"""Notification subscribers: broker accounts that read one tenant's notification topics
(rows in, ``domain.webhooks.NotificationSubscriber`` out; the password hash stays here
and goes only to the broker's password file, as :class:`SubscriberAccount`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from gatepost.domain.webhooks import NotificationSubscriber
from gatepost.store.repositories.webhooks import bump_receivers
from gatepost.store.tables import NotificationSubscriberRow
from gatepost.store.tables import Tenant as TenantRow

__all__ = ["NotificationSubscriberRepository", "SubscriberAccount"]


@dataclass(frozen=True)
class SubscriberAccount:
    """A notification subscriber's broker account as the password file needs it."""

    tenant_id: str
    subscriber_id: str
    password_hash: str

    def __repr__(self) -> str:
        return f"SubscriberAccount(tenant_id={self.tenant_id}, subscriber_id={self.subscriber_id})"


def _subscriber(row: NotificationSubscriberRow) -> NotificationSubscriber:
    return NotificationSubscriber(
        tenant_id=row.tenant_id,
        id=row.id,
        name=row.name,
        created_at=row.created_at,
        rotated_at=row.rotated_at,
    )


class NotificationSubscriberRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, subscriber: NotificationSubscriber, *, password_hash: str) -> None:
        self._session.add(
            NotificationSubscriberRow(
                tenant_id=subscriber.tenant_id,
                id=subscriber.id,
                name=subscriber.name,
                password_hash=password_hash,
                created_at=subscriber.created_at,
                rotated_at=subscriber.rotated_at,
            )
        )
        self._session.flush()
        bump_receivers(self._session, subscriber.tenant_id)

    def get(self, *, tenant_id: str, subscriber_id: str) -> NotificationSubscriber | None:
        row = self._session.get(NotificationSubscriberRow, (tenant_id, subscriber_id))
        return _subscriber(row) if row is not None else None

    def all(self, *, tenant_id: str) -> list[NotificationSubscriber]:
        row = NotificationSubscriberRow
        query = select(row).where(row.tenant_id == tenant_id).order_by(row.created_at, row.id)
        return [_subscriber(r) for r in self._session.scalars(query)]

    def set_password(
        self, *, tenant_id: str, subscriber_id: str, password_hash: str, at: datetime
    ) -> bool:
        """A new password hash (rotation); False when the subscriber is not there."""
        row = NotificationSubscriberRow
        result = self._session.execute(
            update(row)
            .where(row.tenant_id == tenant_id, row.id == subscriber_id)
            .values(password_hash=password_hash, rotated_at=at)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    def delete(self, *, tenant_id: str, subscriber_id: str) -> bool:
        row = NotificationSubscriberRow
        result = self._session.execute(
            delete(row).where(row.tenant_id == tenant_id, row.id == subscriber_id)
        )
        deleted = int(result.rowcount) == 1  # type: ignore[attr-defined]
        if deleted:
            bump_receivers(self._session, tenant_id)
        return deleted

    def any(self, *, tenant_id: str) -> bool:
        """Whether the tenant has a subscriber (so its MQTT notifications have readers)."""
        row = NotificationSubscriberRow
        return (
            self._session.scalar(select(row.id).where(row.tenant_id == tenant_id).limit(1))
            is not None
        )

    def broker_accounts(self) -> tuple[SubscriberAccount, ...]:
        """Every tenant's subscribers, in a stable order; none of a suspended tenant.
        Platform-wide on purpose: the broker has one password file."""
        row = NotificationSubscriberRow
        rows = self._session.execute(
            select(row.tenant_id, row.id, row.password_hash)
            .join(TenantRow, TenantRow.id == row.tenant_id)
            .where(TenantRow.suspended_at.is_(None))
            .order_by(row.tenant_id, row.id)
        )
        return tuple(
            SubscriberAccount(tenant_id=tenant_id, subscriber_id=sub_id, password_hash=hashed)
            for tenant_id, sub_id, hashed in rows
        )
