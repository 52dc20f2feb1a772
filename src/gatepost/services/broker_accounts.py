"""Where the MQTT broker's accounts go after a device or subscriber change (a port).

The broker admits a client only if its password file and ACL file say so, and those
files are derived from the device registry and the notification subscribers
(:class:`SubscriberAccount`, ``services.notification_subscribers``). After a
transaction that registers a device, rotates its credential or revokes it (or creates,
rotates or deletes a subscriber) has committed, the service calls
:meth:`BrokerAccountSink.refresh` with a function that reads every current account from
committed data. The sink calls it *while holding its own lock* and writes what it read,
so two concurrent refreshes can never leave an older list in place of a newer one.

Implementations: ``gatepost.ingest.broker_accounts.MosquittoAccounts`` (writes the
files and reloads Mosquitto), :class:`NullBrokerAccounts` (no broker configured) and
:class:`RecordingBrokerAccounts` (keeps the last list, for tests).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from gatepost.services.uow import UnitOfWork
from gatepost.store.repositories.devices import BrokerAccount
from gatepost.store.repositories.notification_subscribers import SubscriberAccount

__all__ = [
    "Account",
    "BrokerAccount",
    "BrokerAccountSink",
    "NullBrokerAccounts",
    "RecordingBrokerAccounts",
    "SubscriberAccount",
    "all_accounts",
]

Account = BrokerAccount | SubscriberAccount
AccountReader = Callable[[], Sequence[Account]]


def all_accounts(uow: UnitOfWork) -> tuple[Account, ...]:
    """Every account the broker must know: devices, then notification subscribers."""
    return (*uow.devices.broker_accounts(), *uow.notification_subscribers.broker_accounts())


class BrokerAccountSink(Protocol):
    def refresh(self, read: AccountReader) -> None:
        """Make the broker's accounts those ``read()`` returns (called under the lock).

        Must not raise: the device change is already committed, and the next refresh
        (or the gateway's start) writes the files again."""


class NullBrokerAccounts:
    """No broker: nothing to keep in step (``read`` is never called)."""

    def refresh(self, read: AccountReader) -> None:
        return None


class RecordingBrokerAccounts:
    """Keeps the accounts of each refresh, in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.refreshes: list[list[Account]] = []

    def refresh(self, read: AccountReader) -> None:
        with self._lock:
            self.refreshes.append(list(read()))
