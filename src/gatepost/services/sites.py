"""SiteService: a tenant's physical locations."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gatepost.domain.ports import Clock
from gatepost.errors import Conflict, NotFound, ValidationFailed
from gatepost.security.policy import Principal
from gatepost.services.audit import AuditRecord, AuditService
from gatepost.services.pages import Page, page_by_id
from gatepost.store.db import Database
from gatepost.store.ids import new_id
from gatepost.store.repositories import sites as site_repo
from gatepost.store.tables import Site

__all__ = ["SiteService"]


class SiteService:
    def __init__(self, *, db: Database, clock: Clock, audit: AuditService) -> None:
        self._db = db
        self._clock = clock
        self._audit = audit

    def create(self, principal: Principal, *, name: str, timezone: str) -> Site:
        name = name.strip()
        if not 1 <= len(name) <= 200:
            raise ValidationFailed("name must have 1-200 characters", field="name")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationFailed(f"unknown time zone {timezone!r}", field="timezone") from exc
        with self._db.session() as session:
            if site_repo.site_by_name(session, tenant_id=principal.tenant_id, name=name):
                raise Conflict("a site with this name exists")
            site = Site(
                tenant_id=principal.tenant_id,
                id=new_id(),
                name=name,
                timezone=timezone,
                created_at=self._clock.now(),
            )
            site_repo.add_site(session, site)
            self._audit.record(
                session,
                tenant_id=principal.tenant_id,
                record=AuditRecord(
                    actor=principal.actor, action="site.created", target=f"site:{site.id}"
                ),
            )
        return site

    def get(self, principal: Principal, site_id: str) -> Site:
        with self._db.session() as session:
            site = site_repo.get_site(session, tenant_id=principal.tenant_id, site_id=site_id)
        if site is None:
            raise NotFound("site")
        return site

    def list(self, principal: Principal, *, limit: int, after: str | None) -> Page[Site]:
        with self._db.session() as session:
            rows = site_repo.list_sites(
                session, tenant_id=principal.tenant_id, limit=limit + 1, after=after
            )
        return page_by_id(rows, limit)
