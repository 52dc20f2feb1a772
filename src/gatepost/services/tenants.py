"""TenantService: creating tenants (with their keys and first site) and reading them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gatepost.domain.ports import Clock
from gatepost.domain.tenants import normalise_slug
from gatepost.errors import Conflict, NotFound, ValidationFailed
from gatepost.security.audit_chain import GENESIS
from gatepost.security.policy import Principal
from gatepost.services.audit import AuditRecord, AuditService
from gatepost.services.keys import KeyService
from gatepost.services.pages import Page, page_by_id
from gatepost.store.db import Database
from gatepost.store.ids import new_id
from gatepost.store.repositories import tenants as tenant_repo
from gatepost.store.tables import Tenant

__all__ = ["TenantService"]


class TenantService:
    def __init__(self, *, db: Database, keys: KeyService, audit: AuditService, clock: Clock):
        self._db = db
        self._keys = keys
        self._audit = audit
        self._clock = clock

    def create_in(self, session: Session, *, name: str, slug: str) -> Tenant:
        name = name.strip()
        if not 1 <= len(name) <= 200:
            raise ValidationFailed("name must have 1-200 characters", field="name")
        slug = normalise_slug(slug)
        if tenant_repo.get_by_slug(session, slug) is not None:
            raise Conflict("a tenant with this slug exists")
        tenant = tenant_repo.add_tenant(
            session,
            Tenant(
                id=new_id(),
                slug=slug,
                name=name,
                created_at=self._clock.now(),
                audit_seq=0,
                audit_head=GENESIS,
                keys_shredded_at=None,
            ),
        )
        self._keys.create_tenant_keys(session, tenant_id=tenant.id)
        return tenant

    def create(self, principal: Principal, *, name: str, slug: str) -> Tenant:
        with self._db.session() as session:
            tenant = self.create_in(session, name=name, slug=slug)
            record = AuditRecord(
                actor=principal.actor, action="tenant.created", target=f"tenant:{tenant.id}"
            )
            self._audit.record(session, tenant_id=principal.tenant_id, record=record)
            self._audit.record(session, tenant_id=tenant.id, record=record)
        return tenant

    def get(self, *, tenant_id: str) -> Tenant:
        with self._db.session() as session:
            tenant = tenant_repo.get_tenant(session, tenant_id=tenant_id)
        if tenant is None:
            raise NotFound("tenant")
        return tenant

    def list(self, *, limit: int, after: str | None) -> Page[Tenant]:
        with self._db.session() as session:
            return page_by_id(
                tenant_repo.list_tenants(session, limit=limit + 1, after=after), limit
            )
