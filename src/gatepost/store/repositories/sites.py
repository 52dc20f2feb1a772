"""Sites (a customer's physical locations): rows in, ``domain.sites.Site`` out."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gatepost.domain.sites import PlatePattern, Site
from gatepost.store.tables import Site as SiteRow

__all__ = ["SiteRepository", "get_site"]


def _site(row: SiteRow) -> Site:
    return Site(
        tenant_id=row.tenant_id,
        id=row.id,
        name=row.name,
        timezone=row.timezone,
        created_at=row.created_at,
        plate_regions=None if row.plate_regions is None else tuple(row.plate_regions),
        plate_patterns=tuple(
            PlatePattern(p["name"], p["region"], p["pattern"]) for p in row.plate_patterns or []
        ),
        address=row.address,
        holiday_country=row.holiday_country,
        holiday_subdivision=row.holiday_subdivision,
    )


def get_site(session: Session, *, tenant_id: str, site_id: str) -> SiteRow | None:
    """Transitional: the ORM row, for services not yet on units of work."""
    return session.get(SiteRow, (tenant_id, site_id))


class SiteRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, site: Site) -> None:
        self._session.add(
            SiteRow(
                tenant_id=site.tenant_id,
                id=site.id,
                name=site.name,
                timezone=site.timezone,
                created_at=site.created_at,
                plate_regions=None if site.plate_regions is None else list(site.plate_regions),
                plate_patterns=_patterns(site.plate_patterns),
                address=site.address,
                holiday_country=site.holiday_country,
                holiday_subdivision=site.holiday_subdivision,
            )
        )
        self._session.flush()

    def update_details(self, site: Site) -> None:
        """Store the site's name, address, time zone and holiday calendar."""
        self._session.execute(
            update(SiteRow)
            .where(SiteRow.tenant_id == site.tenant_id, SiteRow.id == site.id)
            .values(
                name=site.name,
                address=site.address,
                timezone=site.timezone,
                holiday_country=site.holiday_country,
                holiday_subdivision=site.holiday_subdivision,
            )
        )

    def get(self, *, tenant_id: str, site_id: str) -> Site | None:
        row = self._session.get(SiteRow, (tenant_id, site_id))
        return _site(row) if row is not None else None

    def by_name(self, *, tenant_id: str, name: str) -> Site | None:
        row = self._session.scalars(
            select(SiteRow).where(SiteRow.tenant_id == tenant_id, SiteRow.name == name)
        ).one_or_none()
        return _site(row) if row is not None else None

    def list(self, *, tenant_id: str, limit: int, after: str | None) -> Sequence[Site]:
        query = (
            select(SiteRow).where(SiteRow.tenant_id == tenant_id).order_by(SiteRow.id).limit(limit)
        )
        if after:
            query = query.where(SiteRow.id > after)
        return [_site(row) for row in self._session.scalars(query)]

    def set_plate_formats(
        self,
        *,
        tenant_id: str,
        site_id: str,
        regions: tuple[str, ...] | None,
        patterns: tuple[PlatePattern, ...],
    ) -> None:
        self._session.execute(
            update(SiteRow)
            .where(SiteRow.tenant_id == tenant_id, SiteRow.id == site_id)
            .values(
                plate_regions=None if regions is None else list(regions),
                plate_patterns=_patterns(patterns),
            )
        )


def _patterns(patterns: tuple[PlatePattern, ...]) -> list[dict[str, str]] | None:
    return [{"name": p.name, "region": p.region, "pattern": p.pattern} for p in patterns] or None
