"""Sites: a tenant's physical locations, and the plate formats each site's cameras read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from gatepost.domain.plates import DEFAULT_GRAMMARS, PlateGrammar, PlateRegion, grammars_for

__all__ = ["PlatePattern", "Site", "SitePlateSettings"]


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


@dataclass(frozen=True)
class Site:
    """A location of a tenant: its time zone (schedules are local to it), the plate
    formats its cameras read (``plate_regions`` None: every region), its address, and
    the public-holiday calendar (country and subdivision codes of the ``holidays``
    package) its holiday import defaults to."""

    tenant_id: str
    id: str
    name: str
    timezone: str
    created_at: datetime
    plate_regions: tuple[str, ...] | None = None
    plate_patterns: tuple[PlatePattern, ...] = ()
    address: str | None = None
    holiday_country: str | None = None
    holiday_subdivision: str | None = None

    @property
    def plate_settings(self) -> SitePlateSettings:
        return SitePlateSettings(self.id, self.plate_regions, self.plate_patterns)
