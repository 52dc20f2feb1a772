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
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gatepost.domain.plates import DEFAULT_GRAMMARS, PlateGrammar, PlateRegion, grammars_for
from gatepost.domain.ports import Clock
from gatepost.errors import Conflict, NotFound, ValidationFailed
from gatepost.security.policy import Principal
from gatepost.services.audit import AuditRecord, AuditService
from gatepost.services.pages import Page, page_by_id
from gatepost.store.db import Database
from gatepost.store.ids import new_id
from gatepost.store.repositories import sites as site_repo
from gatepost.store.tables import Site

__all__ = [
    "MAX_PLATE_PATTERNS",
    "PlatePattern",
    "SitePlateSettings",
    "SiteService",
    "plate_settings_of",
]

MAX_PLATE_PATTERNS = 10
_PATTERN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


@dataclass(frozen=True)
class PlatePattern:
    """A site's own plate format: a name, the region it belongs to, a pattern."""

    name: str
    region: str
    pattern: str


@dataclass(frozen=True)
class SitePlateSettings:
    """The plate formats a site reads; ``regions`` None means every region."""

    site_id: str
    regions: tuple[str, ...] | None
    patterns: tuple[PlatePattern, ...]

    def grammars(self) -> tuple[PlateGrammar, ...]:
        """The site's own patterns first, then its regions' default grammars."""
        own = tuple(_custom(p.name, p.region, p.pattern) for p in self.patterns)
        if self.regions is None:
            return own + DEFAULT_GRAMMARS
        return own + grammars_for([PlateRegion(r) for r in self.regions])


@lru_cache(maxsize=256)
def _custom(name: str, region: str, pattern: str) -> PlateGrammar:
    return PlateGrammar.custom(name, PlateRegion(region), pattern)


def plate_settings_of(site: Site) -> SitePlateSettings:
    return SitePlateSettings(
        site_id=site.id,
        regions=None if site.plate_regions is None else tuple(site.plate_regions),
        patterns=tuple(
            PlatePattern(p["name"], p["region"], p["pattern"]) for p in site.plate_patterns or []
        ),
    )


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

    def plate_settings(self, principal: Principal, site_id: str) -> SitePlateSettings:
        return plate_settings_of(self.get(principal, site_id))

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
        with self._db.session() as session:
            site = site_repo.get_site(session, tenant_id=principal.tenant_id, site_id=site_id)
            if site is None:
                raise NotFound("site")
            before = _settings_text(plate_settings_of(site))
            site.plate_regions = None if chosen is None else list(chosen)
            site.plate_patterns = [
                {"name": p.name, "region": p.region, "pattern": p.pattern} for p in own
            ] or None
            after = plate_settings_of(site)
            self._audit.record(
                session,
                tenant_id=principal.tenant_id,
                record=AuditRecord(
                    actor=principal.actor,
                    action="site.plate_settings_changed",
                    target=f"site:{site.id}",
                    details={"before": before, "after": _settings_text(after)},
                ),
            )
        return after
