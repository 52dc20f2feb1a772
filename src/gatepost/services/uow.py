"""Units of work: one transaction per use case.

A service opens ``with self._tx.write() as uow:`` (or ``read()`` for a consistent
read-only view, ``committed()`` for a lock-free look at committed data) and reaches
storage only through it:

- repositories (``uow.devices``, ``uow.vehicles``, ...) that take and return frozen
  dataclasses, never ORM rows or sessions;
- ``uow.keys(tenant_id)``: the tenant's unwrapped data keys;
- ``uow.audit(tenant_id, record)``: an entry of the tenant's audit chain, written in
  this transaction, so an action and its audit entry commit or roll back together;
- ``uow.after_commit(callback)``: work that must wait until the change is durable
  (updating an in-memory cache, sending a device command). Callbacks run in order,
  only after a successful commit, and never inside the transaction.

Services therefore never hand a SQLAlchemy session to each other: what they share is
the unit of work of the use case that is running, and that use case owns it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from gatepost.security.crypto import TenantKeys
from gatepost.store.db import Database

if TYPE_CHECKING:
    from gatepost.security.templates import TemplateRotation
    from gatepost.services.audit import AuditRecord, AuditService
    from gatepost.services.keys import KeyService
    from gatepost.store.repositories.access_levels import AccessLevelRepository
    from gatepost.store.repositories.access_rules import AccessRuleRepository
    from gatepost.store.repositories.accounts import AccountRepository
    from gatepost.store.repositories.alerts import AlertRepository
    from gatepost.store.repositories.arrival_marks import ArrivalMarkRepository
    from gatepost.store.repositories.audit import AuditRepository
    from gatepost.store.repositories.credentials import CredentialRepository
    from gatepost.store.repositories.devices import DeviceRepository
    from gatepost.store.repositories.door_control import DoorControlRepository
    from gatepost.store.repositories.event_feed import EventFeedRepository
    from gatepost.store.repositories.events import EventRepository
    from gatepost.store.repositories.faces import FaceRepository
    from gatepost.store.repositories.invitations import InvitationRepository
    from gatepost.store.repositories.media import MediaRepository
    from gatepost.store.repositories.notification_subscribers import (
        NotificationSubscriberRepository,
    )
    from gatepost.store.repositories.persons import PersonRepository
    from gatepost.store.repositories.plate_reads import PlateReadRepository
    from gatepost.store.repositories.presence import PresenceRepository
    from gatepost.store.repositories.recent_factors import RecentFactorRepository
    from gatepost.store.repositories.schedules import ScheduleRepository
    from gatepost.store.repositories.sites import SiteRepository
    from gatepost.store.repositories.tenants import TenantKeyRepository, TenantRepository
    from gatepost.store.repositories.throttle import ThrottleRepository
    from gatepost.store.repositories.vehicles import VehicleRepository
    from gatepost.store.repositories.webhooks import WebhookRepository

__all__ = ["Transactions", "UnitOfWork"]

log = logging.getLogger(__name__)


class UnitOfWork:
    """One transaction's repositories, keys and audit trail (see the module doc)."""

    def __init__(
        self, session: Session, *, keys: KeyService, audit: AuditService, writable: bool
    ) -> None:
        self._session = session
        self._keys = keys
        self._audit = audit
        self.writable = writable
        self._after_commit: list[Callable[[], None]] = []
        self._on_rollback: list[Callable[[], None]] = []

    # -- repositories -------------------------------------------------------------

    # Imported on first use: a unit of work builds only the repositories it touches.

    @cached_property
    def access_levels(self) -> AccessLevelRepository:
        """Access levels, who holds them, and persons' access flags."""
        from gatepost.store.repositories.access_levels import AccessLevelRepository

        return AccessLevelRepository(self._session)

    @cached_property
    def access_rules(self) -> AccessRuleRepository:
        """Zones, access points, devices' access points and the rules version."""
        from gatepost.store.repositories.access_rules import AccessRuleRepository

        return AccessRuleRepository(self._session)

    @cached_property
    def accounts(self) -> AccountRepository:
        from gatepost.store.repositories.accounts import AccountRepository

        return AccountRepository(self._session)

    @cached_property
    def alerts(self) -> AlertRepository:
        """Alerts raised by access decisions, and their acknowledgements."""
        from gatepost.store.repositories.alerts import AlertRepository

        return AlertRepository(self._session)

    @cached_property
    def arrival_marks(self) -> ArrivalMarkRepository:
        from gatepost.store.repositories.arrival_marks import ArrivalMarkRepository

        return ArrivalMarkRepository(self._session)

    @cached_property
    def audit_log(self) -> AuditRepository:
        from gatepost.store.repositories.audit import AuditRepository

        return AuditRepository(self._session)

    @cached_property
    def credentials(self) -> CredentialRepository:
        from gatepost.store.repositories.credentials import CredentialRepository

        return CredentialRepository(self._session)

    @cached_property
    def devices(self) -> DeviceRepository:
        from gatepost.store.repositories.devices import DeviceRepository

        return DeviceRepository(self._session)

    @cached_property
    def door_control(self) -> DoorControlRepository:
        """Devices bound to access points; remote lockdown and its release."""
        from gatepost.store.repositories.door_control import DoorControlRepository

        return DoorControlRepository(self._session)

    @cached_property
    def event_feed(self) -> EventFeedRepository:
        """Events in the order they arrived, with names (the live feed)."""
        from gatepost.store.repositories.event_feed import EventFeedRepository

        return EventFeedRepository(self._session)

    @cached_property
    def events(self) -> EventRepository:
        from gatepost.store.repositories.events import EventRepository

        return EventRepository(self._session)

    @cached_property
    def faces(self) -> FaceRepository:
        from gatepost.store.repositories.faces import FaceRepository

        return FaceRepository(self._session)

    @cached_property
    def invitations(self) -> InvitationRepository:
        """One-time invitations to join a tenant (token hashes in, never out)."""
        from gatepost.store.repositories.invitations import InvitationRepository

        return InvitationRepository(self._session)

    @cached_property
    def media(self) -> MediaRepository:
        from gatepost.store.repositories.media import MediaRepository

        return MediaRepository(self._session)

    @cached_property
    def persons(self) -> PersonRepository:
        from gatepost.store.repositories.persons import PersonRepository

        return PersonRepository(self._session)

    @cached_property
    def plate_reads(self) -> PlateReadRepository:
        from gatepost.store.repositories.plate_reads import PlateReadRepository

        return PlateReadRepository(self._session)

    @cached_property
    def presence(self) -> PresenceRepository:
        """Where each person was last placed (the muster list)."""
        from gatepost.store.repositories.presence import PresenceRepository

        return PresenceRepository(self._session)

    @cached_property
    def recent_factors(self) -> RecentFactorRepository:
        """First steps of two-step arrivals, within their window."""
        from gatepost.store.repositories.recent_factors import RecentFactorRepository

        return RecentFactorRepository(self._session)

    @cached_property
    def schedules(self) -> ScheduleRepository:
        """Weekly schedules and site holidays."""
        from gatepost.store.repositories.schedules import ScheduleRepository

        return ScheduleRepository(self._session)

    @cached_property
    def sites(self) -> SiteRepository:
        from gatepost.store.repositories.sites import SiteRepository

        return SiteRepository(self._session)

    @cached_property
    def tenant_keys(self) -> TenantKeyRepository:
        """The tenants' wrapped data keys (for the key service only)."""
        from gatepost.store.repositories.tenants import TenantKeyRepository

        return TenantKeyRepository(self._session)

    @cached_property
    def tenants(self) -> TenantRepository:
        from gatepost.store.repositories.tenants import TenantRepository

        return TenantRepository(self._session)

    @cached_property
    def throttle(self) -> ThrottleRepository:
        from gatepost.store.repositories.throttle import ThrottleRepository

        return ThrottleRepository(self._session)

    @cached_property
    def vehicles(self) -> VehicleRepository:
        from gatepost.store.repositories.vehicles import VehicleRepository

        return VehicleRepository(self._session)

    @cached_property
    def notification_subscribers(self) -> NotificationSubscriberRepository:
        """MQTT notification subscribers (broker accounts)."""
        from gatepost.store.repositories.notification_subscribers import (
            NotificationSubscriberRepository,
        )

        return NotificationSubscriberRepository(self._session)

    @cached_property
    def webhooks(self) -> WebhookRepository:
        """Webhook endpoints and the notification outbox."""
        from gatepost.store.repositories.webhooks import WebhookRepository

        return WebhookRepository(self._session)

    # -- keys and audit -------------------------------------------------------------

    def keys(self, tenant_id: str) -> TenantKeys:
        """The tenant's unwrapped keys (cached per process); KeyShredded if destroyed."""
        return self._keys.keys_for(self.tenant_keys, tenant_id=tenant_id)

    def template_rotation(
        self, tenant_id: str, *, dim: int, generation: int | None = None
    ) -> TemplateRotation | None:
        """The tenant's face-template rotation (the active one unless ``generation``);
        None before its first template key (no face was ever enrolled)."""
        return self._keys.template_rotation(
            self.tenant_keys, tenant_id=tenant_id, dim=dim, generation=generation
        )

    def ensure_template_rotation(self, tenant_id: str, *, dim: int) -> TemplateRotation:
        """The active template rotation, creating the tenant's first template key."""
        self.on_rollback(lambda: self._keys.forget(tenant_id))  # a first key, not committed
        return self._keys.ensure_template_rotation(self.tenant_keys, tenant_id=tenant_id, dim=dim)

    def add_template_generation(self, tenant_id: str, *, dim: int) -> TemplateRotation:
        """A fresh template key becomes active; the caller renews the stored templates.
        If this unit of work does not commit, the key service forgets the new rotation."""
        self.on_rollback(lambda: self._keys.forget(tenant_id))
        return self._keys.add_template_generation(self.tenant_keys, tenant_id=tenant_id, dim=dim)

    def audit(self, tenant_id: str, record: AuditRecord) -> None:
        """Append ``record`` to the tenant's audit chain in this transaction (a
        read-only unit of work refuses: an entry must commit with its action)."""
        if not self.writable:
            raise RuntimeError("an audit entry needs a writing unit of work")
        self._audit.append(self, tenant_id=tenant_id, record=record)

    def flush(self) -> None:
        """Send pending writes now (a uniqueness clash surfaces here, not at commit)."""
        self._session.flush()

    # -- after commit ---------------------------------------------------------------

    def on_rollback(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` if this unit of work does not commit (to drop what a cache
        learnt from its uncommitted writes, such as a new key generation)."""
        self._on_rollback.append(callback)

    def _rolled_back(self) -> None:
        callbacks, self._on_rollback = self._on_rollback, []
        self._after_commit.clear()
        for callback in callbacks:
            try:
                callback()
            except Exception:  # noqa: BLE001 - the rollback's own error is what matters
                log.exception("on-rollback work failed: %s", getattr(callback, "__name__", "?"))

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once this unit of work has committed (never on rollback)."""
        self._after_commit.append(callback)

    def _committed(self) -> None:
        """Run the after-commit work. The change is durable already: a callback that
        fails is logged and the others still run (a cache repairs itself through its
        version counter; a blob left behind is purged with its expiry)."""
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # noqa: BLE001 - the commit stands; see the docstring
                log.exception("after-commit work failed: %s", getattr(callback, "__name__", "?"))


class Transactions:
    """Opens units of work on one database (see the module doc)."""

    def __init__(self, *, db: Database, keys: KeyService, audit: AuditService) -> None:
        self.db = db
        self._keys = keys
        self._audit = audit

    def _unit(self, session: Session, *, writable: bool) -> UnitOfWork:
        return UnitOfWork(session, keys=self._keys, audit=self._audit, writable=writable)

    @contextmanager
    def write(self) -> Iterator[UnitOfWork]:
        """A read-write transaction: committed when the block ends, rolled back on error."""
        uow: UnitOfWork | None = None
        try:
            with self.db.session() as session:
                uow = self._unit(session, writable=True)
                yield uow
        except BaseException:
            if uow is not None:
                uow._rolled_back()
            raise
        uow._committed()

    @contextmanager
    def read(self) -> Iterator[UnitOfWork]:
        """A read-only transaction: one consistent view, no write lock; writes fail."""
        with self.db.reading() as session:
            uow = self._unit(session, writable=False)
            yield uow
        uow._committed()

    @contextmanager
    def committed(self) -> Iterator[UnitOfWork]:
        """Committed data on its own autocommit connection (no lock, no snapshot)."""
        with self.db.read_committed() as session:
            uow = self._unit(session, writable=False)
            yield uow
        uow._committed()
