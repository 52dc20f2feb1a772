"""TenantService: creating tenants (with their keys), reading them, and the platform
operator's hard levers: suspending and resuming a tenant, and crypto-shredding it.

A suspended tenant keeps all its data, but nothing of it gets in: its users cannot sign
in (the same failure as a wrong password, ``services.auth``), its sessions, API keys and
device tokens are refused, its devices leave the MQTT broker's accounts and the gateway
stops answering them (``services.devices.mac_key``), and its invitations cannot be
accepted. Resuming restores all of it. Shredding destroys the tenant's data keys
(``KeyService.shred``): every sealed value of it becomes unreadable for good. Both are
refused for the operator's own tenant, and both are audited in the operator's log (and,
for suspension, in the tenant's own log).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from gatepost.domain.names import visible_name
from gatepost.domain.ports import Clock
from gatepost.domain.tenants import Tenant, normalise_slug
from gatepost.errors import Conflict, NotFound, ValidationFailed
from gatepost.security.policy import Principal
from gatepost.services.audit import AuditRecord
from gatepost.services.broker_accounts import (
    Account,
    BrokerAccountSink,
    NullBrokerAccounts,
    all_accounts,
)
from gatepost.services.keys import KeyService
from gatepost.services.pages import Page, page_by_id
from gatepost.services.sites import checked_timezone
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.store.ids import new_id

__all__ = ["TenantService", "TenantSummary", "tenant_by_slug", "tenant_of"]

_Find = Callable[[UnitOfWork], Tenant]


@dataclass(frozen=True)
class TenantSummary:
    """A tenant as the operator's list shows it: the record and its number of users."""

    tenant: Tenant
    users: int

    @property
    def id(self) -> str:
        return self.tenant.id


@dataclass(frozen=True)
class Operator:
    """Who pulls a platform lever: the audit actor and, for a platform administrator,
    their own tenant (None from the command line)."""

    actor: str
    tenant_id: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> Operator:
        return cls(actor=principal.actor, tenant_id=principal.tenant_id)


class TenantService:
    def __init__(
        self,
        *,
        tx: Transactions,
        keys: KeyService,
        clock: Clock,
        broker: BrokerAccountSink | None = None,
    ) -> None:
        self._tx = tx
        self._keys = keys
        self._clock = clock
        self._broker = broker or NullBrokerAccounts()

    def create_in(self, uow: UnitOfWork, *, name: str, slug: str) -> Tenant:
        """A new tenant and its keys, in the caller's unit of work (first-run setup
        creates the operator's tenant together with its first administrator)."""
        name = name.strip()
        if not 1 <= len(name) <= 200:
            raise ValidationFailed("name must have 1-200 characters", field="name")
        visible_name(name)
        slug = normalise_slug(slug)
        if uow.tenants.by_slug(slug) is not None:
            raise Conflict("a tenant with this slug exists")
        tenant = Tenant(id=new_id(), slug=slug, name=name, created_at=self._clock.now())
        uow.tenants.add(tenant)
        self._keys.create_tenant_keys(uow, tenant_id=tenant.id)
        return tenant

    def create(self, principal: Principal, *, name: str, slug: str) -> Tenant:
        """A tenant created by a platform administrator: recorded in both audit logs."""
        with self._tx.write() as uow:
            tenant = self.create_in(uow, name=name, slug=slug)
            record = AuditRecord(
                actor=principal.actor, action="tenant.created", target=f"tenant:{tenant.id}"
            )
            uow.audit(principal.tenant_id, record)
            uow.audit(tenant.id, record)
        return tenant

    def get(self, *, tenant_id: str) -> Tenant:
        with self._tx.read() as uow:
            return tenant_of(uow, tenant_id)

    def list(self, *, limit: int, after: str | None) -> Page[Tenant]:
        with self._tx.read() as uow:
            return page_by_id(uow.tenants.list(limit=limit + 1, after=after), limit)

    def set_timezone(self, principal: Principal, timezone: str) -> Tenant:
        """The IANA time zone the tenant's dates and times are shown in; audited."""
        zone = checked_timezone(timezone)
        with self._tx.write() as uow:
            tenant = tenant_of(uow, principal.tenant_id)
            if tenant.timezone == zone:
                return tenant
            uow.tenants.set_timezone(tenant_id=tenant.id, timezone=zone)
            uow.audit(
                tenant.id,
                AuditRecord(
                    actor=principal.actor,
                    action="tenant.timezone_changed",
                    target=f"tenant:{tenant.id}",
                    details={"before": tenant.timezone, "after": zone},
                ),
            )
        return replace(tenant, timezone=zone)

    def summaries(self, *, limit: int, after: str | None) -> Page[TenantSummary]:
        """A page of tenants, each with its number of users (the operator's list)."""
        with self._tx.read() as uow:
            rows = uow.tenants.list(limit=limit + 1, after=after)
            users = uow.tenants.user_counts(tenant_ids=[t.id for t in rows[:limit]])
        return page_by_id(rows, limit, lambda t: TenantSummary(t, users.get(t.id, 0)))

    def sealed_counts(self, *, tenant_id: str) -> dict[str, int]:
        """Rows per data class holding the tenant's sealed values (what shredding makes
        unreadable): persons, face templates, vehicles, plate reads, media, users."""
        with self._tx.read() as uow:
            tenant_of(uow, tenant_id)
            return uow.tenants.sealed_counts(tenant_id=tenant_id)

    # -- suspension ------------------------------------------------------------------

    def suspend(self, principal: Principal, *, tenant_id: str) -> Tenant:
        return self._set_suspended(Operator.of(principal), _by_id(tenant_id), suspend=True)

    def resume(self, principal: Principal, *, tenant_id: str) -> Tenant:
        return self._set_suspended(Operator.of(principal), _by_id(tenant_id), suspend=False)

    def set_suspended_by_slug(self, *, actor: str, slug: str, suspend: bool) -> Tenant:
        """Suspend or resume from the command line (no tenant of the caller's own)."""
        return self._set_suspended(Operator(actor), _by_slug(slug), suspend=suspend)

    def _set_suspended(self, operator: Operator, find: _Find, *, suspend: bool) -> Tenant:
        """Suspend (or resume) the tenant; doing it again changes nothing and records
        nothing. The broker's accounts follow once the change has committed."""
        with self._tx.write() as uow:
            tenant = find(uow)
            if operator.tenant_id == tenant.id:
                raise Conflict("a platform administrator cannot suspend their own tenant")
            if tenant.shredded:
                raise Conflict("this tenant's keys were destroyed")
            if tenant.suspended == suspend:
                return tenant
            at = self._clock.now() if suspend else None
            uow.tenants.set_suspended(tenant_id=tenant.id, at=at)
            record = AuditRecord(
                actor=operator.actor,
                action="tenant.suspended" if suspend else "tenant.resumed",
                target=f"tenant:{tenant.id}",
            )
            for witness in _witnesses(uow, operator, tenant):
                uow.audit(witness, record)
            uow.audit(tenant.id, record)
            uow.after_commit(self.sync_broker_accounts)
            return tenant_of(uow, tenant.id)

    def sync_broker_accounts(self) -> None:
        """Bring the broker's accounts in step: a suspended tenant's devices and
        notification subscribers leave it, a resumed tenant's come back."""
        self._broker.refresh(self._accounts)

    def _accounts(self) -> tuple[Account, ...]:
        with self._tx.committed() as uow:
            return all_accounts(uow)

    # -- crypto-shredding --------------------------------------------------------------

    def shred(self, principal: Principal, *, tenant_id: str, confirm: str) -> int:
        """Destroy the tenant's data keys once ``confirm`` is its slug exactly; returns
        how many keys there were."""
        return self._shred(Operator.of(principal), _by_id(tenant_id), confirm=confirm)

    def shred_by_slug(self, *, actor: str, slug: str) -> int:
        """Shred from the command line (the slug typed there is the confirmation)."""
        return self._shred(Operator(actor), _by_slug(slug), confirm=None)

    def _shred(self, operator: Operator, find: _Find, *, confirm: str | None) -> int:
        """The one shredding path (UI, API and CLI): recorded in the operator's log (the
        shredded tenant's own log can no longer be verified, by design)."""
        with self._tx.write() as uow:
            tenant = find(uow)
            if operator.tenant_id == tenant.id:
                raise Conflict("a platform administrator cannot shred their own tenant")
            if tenant.shredded:
                raise Conflict("this tenant's keys were destroyed")
            if confirm is not None and confirm != tenant.slug:
                raise ValidationFailed(
                    "type the tenant's short name exactly to confirm", field="confirm"
                )
            record = AuditRecord(
                actor=operator.actor,
                action="keys.tenant_shredded",
                target=f"tenant:{tenant.id}",
                purpose="crypto-shredding on operator request",
            )
            for witness in _witnesses(uow, operator, tenant):
                uow.audit(witness, record)
            return self._keys.shred(uow, tenant_id=tenant.id)


def tenant_of(uow: UnitOfWork, tenant_id: str) -> Tenant:
    """The tenant (with its policies and data versions), or NotFound."""
    tenant = uow.tenants.get(tenant_id=tenant_id)
    if tenant is None:
        raise NotFound("tenant")
    return tenant


def _by_id(tenant_id: str) -> _Find:
    return lambda uow: tenant_of(uow, tenant_id)


def tenant_by_slug(uow: UnitOfWork, slug: str) -> Tenant:
    """The tenant whose slug is ``slug`` (normalised as at login), or NotFound; a
    malformed slug is InvalidSlug."""
    tenant = uow.tenants.by_slug(normalise_slug(slug))
    if tenant is None:
        raise NotFound("tenant")
    return tenant


def _by_slug(slug: str) -> _Find:
    return lambda uow: tenant_by_slug(uow, slug)


def _witnesses(uow: UnitOfWork, operator: Operator, tenant: Tenant) -> list[str]:
    """The operator's audit logs that record a lever pulled on ``tenant``: the caller's
    tenant, or (from the command line) every tenant with a platform administrator."""
    if operator.tenant_id is not None:
        return [operator.tenant_id]
    return [t for t in uow.accounts.platform_tenant_ids() if t != tenant.id]
