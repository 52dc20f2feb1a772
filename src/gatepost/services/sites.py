"""SiteService: a tenant's physical locations, and the plate formats each site reads.

A site's cameras read the plate formats of the regions it chooses (every region by
default) and up to :data:`MAX_PLATE_PATTERNS` named patterns of its own, which are
tried first. Patterns are regular expressions over the normalised plate text (upper
case, no spaces, dots or dashes); one that does not compile, is too long, or repeats
a repeated group (exponential backtracking) is refused naming the field.

A site's details are its name (unique in the tenant), an optional address, its IANA
time zone and its public-holiday calendar: a country and optional subdivision of the
``holidays`` package (imported on first use), which the holiday import defaults to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from enum import Enum
from functools import lru_cache
from typing import Final, Literal
from zoneinfo import available_timezones

from gatepost.domain.names import visible_name
from gatepost.domain.plates import PlateGrammar, PlatePatternError, PlateRegion
from gatepost.domain.ports import Clock
from gatepost.domain.sites import PlatePattern, Site, SitePlateSettings
from gatepost.errors import Conflict, NotFound, ValidationFailed
from gatepost.security.policy import Principal
from gatepost.services.audit import AuditRecord
from gatepost.services.pages import Page, page_by_id
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.store.ids import new_id

__all__ = [
    "MAX_ADDRESS",
    "MAX_PLATE_PATTERNS",
    "UNCHANGED",
    "SiteService",
    "checked_timezone",
    "holiday_calendars",
    "site_in_tenant",
    "time_zones",
]

MAX_PLATE_PATTERNS = 10
MAX_ADDRESS = 500


class _Unchanged(Enum):
    UNCHANGED = "unchanged"


UNCHANGED: Final = _Unchanged.UNCHANGED
"""An argument of :meth:`SiteService.update` left as it is."""
Keep = Literal[_Unchanged.UNCHANGED]


_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})  # files, not places


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    """Every IANA time zone name this system knows, sorted (``UTC`` included)."""
    return tuple(sorted((available_timezones() | {"UTC"}) - _NOT_ZONES))


def checked_timezone(value: str, *, field: str = "timezone") -> str:
    """``value`` if it names an IANA time zone, else ValidationFailed naming ``field``."""
    zone = value.strip()
    if zone not in time_zones():
        raise ValidationFailed("unknown time zone", field=field)
    return zone


def holiday_calendars() -> dict[str, tuple[str, ...]]:
    """The ``holidays`` package's countries (ISO 3166 codes) and their subdivisions."""
    import holidays  # imported on first use: a few hundred country modules

    return {
        code: tuple(subdivisions)
        for code, subdivisions in sorted(holidays.list_supported_countries().items())
    }


def _checked_calendar(
    country: str | None, subdivision: str | None
) -> tuple[str | None, str | None]:
    code = (country or "").strip().upper() or None
    subdivision = (subdivision or "").strip().upper() or None
    if code is None:
        if subdivision is not None:
            raise ValidationFailed(
                "choose a holiday calendar country for the subdivision",
                field="holiday_subdivision",
            )
        return None, None
    calendars = holiday_calendars()
    if code not in calendars:
        raise ValidationFailed(
            "no public holiday calendar for this country", field="holiday_country"
        )
    if subdivision is not None and subdivision not in {s.upper() for s in calendars[code]}:
        raise ValidationFailed(
            "no such subdivision in this country's holiday calendar", field="holiday_subdivision"
        )
    if subdivision is not None:
        subdivision = next(s for s in calendars[code] if s.upper() == subdivision)
    return code, subdivision


def _checked_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise ValidationFailed("name must have 1-200 characters", field="name")
    return visible_name(name)


def _checked_address(address: str | None) -> str | None:
    address = " ".join((address or "").split()) or None
    if address is not None and len(address) > MAX_ADDRESS:
        raise ValidationFailed("address must have at most 500 characters", field="address")
    return address


_PATTERN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


def _region(value: str, field: str) -> PlateRegion:
    try:
        return PlateRegion(value)
    except ValueError as exc:
        allowed = ", ".join(r.value for r in PlateRegion)
        raise ValidationFailed(
            "%(field)s must be one of: %(allowed)s",
            field=field,
            params={"field": field, "allowed": allowed},
        ) from exc


def _checked_regions(regions: Sequence[str] | None) -> tuple[str, ...] | None:
    if regions is None:
        return None
    chosen = {_region(value, f"regions.{i}") for i, value in enumerate(regions)}
    return tuple(r.value for r in PlateRegion if r in chosen)


def _checked_patterns(patterns: Sequence[PlatePattern]) -> tuple[PlatePattern, ...]:
    if len(patterns) > MAX_PLATE_PATTERNS:
        raise ValidationFailed(
            "a site has at most %(max)s plate patterns",
            field="patterns",
            params={"max": MAX_PLATE_PATTERNS},
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
        except PlatePatternError as exc:
            raise _pattern_refused(exc, f"patterns.{i}.pattern") from exc
        checked.append(PlatePattern(item.name, region.value, item.pattern))
    return tuple(checked)


def _pattern_refused(exc: PlatePatternError, field: str) -> ValidationFailed:
    """The domain's refusal as a constant (translatable) message."""
    if exc.problem == "length":
        return ValidationFailed("a plate pattern has 1-200 characters", field=field)
    if exc.problem == "nested":
        return ValidationFailed(
            "the plate pattern repeats a group that itself repeats or alternates "
            "(like (A+)+ or (A|B)*), which can take exponential time; "
            "write the repetition once, e.g. [A-Z]{2,3}",
            field=field,
        )
    return ValidationFailed(
        "the plate pattern does not compile: %(reason)s",
        field=field,
        params={"reason": exc.detail},
    )


def _settings_text(settings: SitePlateSettings) -> str:
    """For the audit log: regions and the number of patterns (no pattern text)."""
    regions = "all" if settings.regions is None else ",".join(settings.regions) or "none"
    return f"regions={regions} patterns={len(settings.patterns)}"


class SiteService:
    def __init__(self, *, tx: Transactions, clock: Clock) -> None:
        self._tx = tx
        self._clock = clock

    def create(
        self,
        principal: Principal,
        *,
        name: str,
        timezone: str,
        address: str | None = None,
        holiday_country: str | None = None,
        holiday_subdivision: str | None = None,
    ) -> Site:
        name = _checked_name(name)
        zone = checked_timezone(timezone)
        country, subdivision = _checked_calendar(holiday_country, holiday_subdivision)
        site = Site(
            tenant_id=principal.tenant_id,
            id=new_id(),
            name=name,
            timezone=zone,
            created_at=self._clock.now(),
            address=_checked_address(address),
            holiday_country=country,
            holiday_subdivision=subdivision,
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

    def update(
        self,
        principal: Principal,
        site_id: str,
        *,
        name: str | Keep = UNCHANGED,
        address: str | None | Keep = UNCHANGED,
        timezone: str | Keep = UNCHANGED,
        holiday_country: str | None | Keep = UNCHANGED,
        holiday_subdivision: str | None | Keep = UNCHANGED,
    ) -> Site:
        """Change a site's name, address, time zone or holiday calendar (an argument
        left :data:`UNCHANGED` keeps its value; None clears the address or calendar).
        The audit entry names the fields that changed, not their values."""
        checked_name = None if name is UNCHANGED else _checked_name(name)
        checked_zone = None if timezone is UNCHANGED else checked_timezone(timezone)
        with self._tx.write() as uow:
            site = site_in_tenant(uow, principal, site_id)
            country = site.holiday_country if holiday_country is UNCHANGED else holiday_country
            if holiday_subdivision is not UNCHANGED:
                subdivision = holiday_subdivision
            elif holiday_country is UNCHANGED:
                subdivision = site.holiday_subdivision
            else:
                subdivision = None  # a new country: the old subdivision is not its
            country, subdivision = _checked_calendar(country, subdivision)
            changed = replace(
                site,
                name=site.name if checked_name is None else checked_name,
                address=site.address if address is UNCHANGED else _checked_address(address),
                timezone=site.timezone if checked_zone is None else checked_zone,
                holiday_country=country,
                holiday_subdivision=subdivision,
            )
            fields = [
                f
                for f in ("name", "address", "timezone", "holiday_country", "holiday_subdivision")
                if getattr(changed, f) != getattr(site, f)
            ]
            if not fields:
                return site
            if "name" in fields:
                other = uow.sites.by_name(tenant_id=principal.tenant_id, name=changed.name)
                if other is not None and other.id != site.id:
                    raise Conflict("a site with this name exists")
            uow.sites.update_details(changed)
            if "timezone" in fields:  # the access engine's cached rules hold site zones
                uow.access_rules.bump_version(tenant_id=principal.tenant_id)
            uow.audit(
                principal.tenant_id,
                AuditRecord(
                    actor=principal.actor,
                    action="site.updated",
                    target=f"site:{site.id}",
                    details={"fields": ",".join(fields)},
                ),
            )
        return changed

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
