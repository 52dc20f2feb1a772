"""NotificationSubscriberService: MQTT accounts that read one tenant's notifications.

An integrator that would rather subscribe than receive webhooks gets a broker account,
``notify.<tenant_id>.<id>`` (``domain.webhooks.subscriber_username``), whose only right
is to read ``gatepost-notify/<tenant_id>/#`` (docs/notifications.md). Its password is
shown once, when the account is created and whenever it is rotated; gatepost keeps only
the Mosquitto hash, as it does for devices.

The accounts are written into the broker's files together with the devices' (the same
:class:`~gatepost.services.broker_accounts.BrokerAccountSink`, reading every account
from committed data after the change commits), so a rotation or a deletion takes effect
at the broker at once. Every change is audited; the audit entry names the subscriber,
never its password.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from gatepost.domain.names import visible_name
from gatepost.domain.ports import Clock
from gatepost.domain.webhooks import NotificationSubscriber
from gatepost.errors import NotFound, ValidationFailed
from gatepost.security.device_mqtt import encode_key, mosquitto_hash
from gatepost.security.policy import Principal
from gatepost.services.audit import AuditRecord
from gatepost.services.broker_accounts import (
    Account,
    BrokerAccountSink,
    NullBrokerAccounts,
    all_accounts,
)
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.store.ids import new_id

__all__ = ["IssuedSubscriber", "NotificationSubscriberService"]

NAME_MAX = 100


@dataclass(frozen=True, repr=False)
class IssuedSubscriber:
    """A subscriber with its broker password, shown this once."""

    subscriber: NotificationSubscriber
    password: str

    def __repr__(self) -> str:
        return f"IssuedSubscriber({self.subscriber!r}, password=***)"


def _checked_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise ValidationFailed(
            "name must be 1-%(max)s characters", field="name", params={"max": NAME_MAX}
        )
    return visible_name(name)


def _new_password() -> tuple[str, str]:
    """A fresh random 256-bit password (base64url text) and its Mosquitto hash."""
    password = encode_key(secrets.token_bytes(32))
    return password, mosquitto_hash(password)


def _audited(principal: Principal, action: str, subscriber_id: str) -> AuditRecord:
    return AuditRecord(
        actor=principal.actor, action=action, target=f"notification_subscriber:{subscriber_id}"
    )


def _subscriber(
    uow: UnitOfWork, principal: Principal, subscriber_id: str
) -> NotificationSubscriber:
    """The subscriber in the caller's tenant, or NotFound (never another tenant's)."""
    found = uow.notification_subscribers.get(
        tenant_id=principal.tenant_id, subscriber_id=subscriber_id
    )
    if found is None:
        raise NotFound("notification subscriber")
    return found


class NotificationSubscriberService:
    def __init__(
        self, *, tx: Transactions, clock: Clock, broker: BrokerAccountSink | None = None
    ) -> None:
        self._tx = tx
        self._clock = clock
        self._broker = broker or NullBrokerAccounts()

    def create(self, principal: Principal, *, name: str) -> IssuedSubscriber:
        subscriber = NotificationSubscriber(
            tenant_id=principal.tenant_id,
            id=new_id(),
            name=_checked_name(name),
            created_at=self._clock.now(),
            rotated_at=None,
        )
        password, hashed = _new_password()
        with self._tx.write() as uow:
            uow.notification_subscribers.add(subscriber, password_hash=hashed)
            uow.audit(
                principal.tenant_id,
                _audited(principal, "notification_subscriber.created", subscriber.id),
            )
            uow.after_commit(self._sync)
        return IssuedSubscriber(subscriber, password)

    def list(self, principal: Principal) -> list[NotificationSubscriber]:
        with self._tx.read() as uow:
            return uow.notification_subscribers.all(tenant_id=principal.tenant_id)

    def rotate(self, principal: Principal, subscriber_id: str) -> IssuedSubscriber:
        """A new password, shown this once; the old one is refused from the broker's
        reload on (a client already connected stays until it reconnects)."""
        now = self._clock.now()
        password, hashed = _new_password()
        with self._tx.write() as uow:
            subscriber = _subscriber(uow, principal, subscriber_id)
            uow.notification_subscribers.set_password(
                tenant_id=principal.tenant_id,
                subscriber_id=subscriber_id,
                password_hash=hashed,
                at=now,
            )
            uow.audit(
                principal.tenant_id,
                _audited(principal, "notification_subscriber.rotated", subscriber_id),
            )
            uow.after_commit(self._sync)
        return IssuedSubscriber(replace(subscriber, rotated_at=now), password)

    def delete(self, principal: Principal, subscriber_id: str) -> None:
        """Revoke: the account is removed and the broker reloaded once this commits."""
        with self._tx.write() as uow:
            _subscriber(uow, principal, subscriber_id)
            uow.notification_subscribers.delete(
                tenant_id=principal.tenant_id, subscriber_id=subscriber_id
            )
            uow.audit(
                principal.tenant_id,
                _audited(principal, "notification_subscriber.deleted", subscriber_id),
            )
            uow.after_commit(self._sync)

    # -- the broker ---------------------------------------------------------------------

    def _accounts(self) -> tuple[Account, ...]:
        with self._tx.committed() as uow:
            return all_accounts(uow)

    def _sync(self) -> None:
        self._broker.refresh(self._accounts)
