"""TenantService: creating tenants (with their keys) and reading them."""

from __future__ import annotations

from gatepost.domain.names import visible_name
from gatepost.domain.ports import Clock
from gatepost.domain.tenants import Tenant, normalise_slug
from gatepost.errors import Conflict, NotFound, ValidationFailed
from gatepost.security.policy import Principal
from gatepost.services.audit import AuditRecord
from gatepost.services.keys import KeyService
from gatepost.services.pages import Page, page_by_id
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.store.ids import new_id

__all__ = ["TenantService", "tenant_of"]


class TenantService:
    def __init__(self, *, tx: Transactions, keys: KeyService, clock: Clock) -> None:
        self._tx = tx
        self._keys = keys
        self._clock = clock

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


def tenant_of(uow: UnitOfWork, tenant_id: str) -> Tenant:
    """The tenant (with its policies and data versions), or NotFound."""
    tenant = uow.tenants.get(tenant_id=tenant_id)
    if tenant is None:
        raise NotFound("tenant")
    return tenant
