"""Sites (a customer's physical locations)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from gatepost.store.tables import Site

__all__ = ["add_site", "get_site", "list_sites", "site_by_name"]


def add_site(session: Session, site: Site) -> None:
    session.add(site)
    session.flush()


def get_site(session: Session, *, tenant_id: str, site_id: str) -> Site | None:
    return session.get(Site, (tenant_id, site_id))


def list_sites(
    session: Session, *, tenant_id: str, limit: int, after: str | None
) -> Sequence[Site]:
    query = select(Site).where(Site.tenant_id == tenant_id).order_by(Site.id).limit(limit)
    if after:
        query = query.where(Site.id > after)
    return session.scalars(query).all()


def site_by_name(session: Session, *, tenant_id: str, name: str) -> Site | None:
    return session.scalars(
        select(Site).where(Site.tenant_id == tenant_id, Site.name == name)
    ).one_or_none()
