"""SiteService: a tenant's physical locations, and the plate formats each site reads.

A site's cameras read the plate formats of the regions it chooses (every region by
default) and up to :data:`MAX_PLATE_PATTERNS` named patterns of its own, which are
tried first. Patterns are regular expressions over the normalised plate text (upper
case, no spaces, dots or dashes); one that does not compile, is too long, or repeats
a repeated group (exponential backtracking) is refused naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gatepost.domain.names import visible_name
from gatepost.domain.plates import PlateGrammar, PlateRegion
from gatepost.domain.ports import Clock
from gatepost.domain.sites import PlatePattern, Site, SitePlateSettings
from gatepost.errors import Conflict, NotFound, ValidationFailed
from gatepost.security.policy import Principal
from gatepost.services.audit import AuditRecord
from gatepost.services.pages import Page, page_by_id
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.store.ids import new_id

__all__ = ["MAX_PLATE_PATTERNS", "SiteService", "site_in_tenant"]

MAX_PLATE_PATTERNS = 10
_PATTERN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


def _region(value: str, field: str) -> PlateRegion:
    try:
        return PlateRegion(value)
    except ValueError as exc:
        allowed = ", ".join(r.value for r in PlateRegion)
        raise ValidationFailed(f"{field} must be one of: {allowed}", field=field) from exc


def _checked_regions(regions: Sequence[str] | None) -> tuple[str, ...] | None:
    if regions is None:
        return None
    chosen = {_region(value, f"regions.{i}") for i, value in enumerate(regions)}
    return tuple(r.value for r in PlateRegion if r in chosen)


def _checked_patterns(patterns: Sequence[PlatePattern]) -> tuple[PlatePattern, ...]:
    if len(patterns) > MAX_PLATE_PATTERNS:
        raise ValidationFailed(
            f"a site has at most {MAX_PLATE_PATTERNS} plate patterns", field="patterns"
        )
    names: set[str] = set()
    checked = []
    for i, item in enumerate(patterns):
        if not _PATTERN_NAME.match(item.name):
            raise ValidationFailed(
                "a pattern name has 1-40 letters, digits, '_', '.' or '-'",
                field=f"patterns.{i}.name",
            )
        if item.name in names:
            raise ValidationFailed("pattern names must differ", field=f"patterns.{i}.name")
        names.add(item.name)
        region = _region(item.region, f"patterns.{i}.region")
        try:
            PlateGrammar.custom(item.name, region, item.pattern)
        except ValueError as exc:
            raise ValidationFailed(str(exc), field=f"patterns.{i}.pattern") from exc
        checked.append(PlatePattern(item.name, region.value, item.pattern))
    return tuple(checked)


def _settings_text(settings: SitePlateSettings) -> str:
    """For the audit log: regions and the number of patterns (no pattern text)."""
    regions = "all" if settings.regions is None else ",".join(settings.regions) or "none"
    return f"regions={regions} patterns={len(settings.patterns)}"


class SiteService:
    def __init__(self, *, tx: Transactions, clock: Clock) -> None:
        self._tx = tx
        self._clock = clock

    def create(self, principal: Principal, *, name: str, timezone: str) -> Site:
        name = name.strip()
        if not 1 <= len(name) <= 200:
            raise ValidationFailed("name must have 1-200 characters", field="name")
        visible_name(name)
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationFailed(f"unknown time zone {timezone!r}", field="timezone") from exc
        site = Site(
            tenant_id=principal.tenant_id,
            id=new_id(),
            name=name,
            timezone=timezone,
            created_at=self._clock.now(),
        )
        with self._tx.write() as uow:
            if uow.sites.by_name(tenant_id=principal.tenant_id, name=name):
                raise Conflict("a site with this name exists")
            uow.sites.add(site)
            uow.audit(
                principal.tenant_id,
                AuditRecord(actor=principal.actor, action="site.created", target=f"site:{site.id}"),
            )
        return site

    def get(self, principal: Principal, site_id: str) -> Site:
        with self._tx.read() as uow:
            return site_in_tenant(uow, principal, site_id)

    def list(self, principal: Principal, *, limit: int, after: str | None) -> Page[Site]:
        with self._tx.read() as uow:
            rows = uow.sites.list(tenant_id=principal.tenant_id, limit=limit + 1, after=after)
        return page_by_id(rows, limit)

    def plate_settings(self, principal: Principal, site_id: str) -> SitePlateSettings:
        return self.get(principal, site_id).plate_settings

    def set_plate_settings(
        self,
        principal: Principal,
        site_id: str,
        *,
        regions: Sequence[str] | None,
        patterns: Sequence[PlatePattern],
    ) -> SitePlateSettings:
        """Choose the regions (None: every region) and replace the site's own patterns."""
        chosen = _checked_regions(regions)
        own = _checked_patterns(patterns)
        if chosen == () and not own:
            raise ValidationFailed(
                "a site must read at least one region or pattern", field="regions"
            )
        after = SitePlateSettings(site_id, chosen, own)
        with self._tx.write() as uow:
            site = site_in_tenant(uow, principal, site_id)
            uow.sites.set_plate_formats(
                tenant_id=site.tenant_id, site_id=site.id, regions=chosen, patterns=own
            )
            uow.audit(
                principal.tenant_id,
                AuditRecord(
                    actor=principal.actor,
                    action="site.plate_settings_changed",
                    target=f"site:{site.id}",
                    details={
                        "before": _settings_text(site.plate_settings),
                        "after": _settings_text(after),
                    },
                ),
            )
        return after


def site_in_tenant(uow: UnitOfWork, principal: Principal, site_id: str) -> Site:
    """The site in the caller's tenant, or NotFound (never another tenant's)."""
    site = uow.sites.get(tenant_id=principal.tenant_id, site_id=site_id)
    if site is None:
        raise NotFound("site")
    return site
