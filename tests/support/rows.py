"""Row counts of the tables a request could write to, for "nothing changed" checks."""

from __future__ import annotations

from sqlalchemy import func, select

from gatepost.services.container import Container
from gatepost.store import tables

__all__ = ["COUNTED", "row_counts"]

#: Every table a refused request must leave as it was.
COUNTED = (
    tables.Tenant,
    tables.User,
    tables.ApiKey,
    tables.Site,
    tables.Person,
    tables.Consent,
    tables.FaceTemplate,
    tables.Vehicle,
    tables.PlateRead,
    tables.Device,
    tables.Event,
    tables.MediaObject,
    tables.AuditEntry,
    tables.UserSession,
    tables.Zone,
    tables.AccessPoint,
    tables.Schedule,
    tables.AccessLevel,
    tables.AccessLevelPoint,
    tables.PersonAccessLevel,
    tables.SiteHoliday,
    tables.Credential,
)


def row_counts(container: Container) -> dict[str, int]:
    """The number of rows in each of :data:`COUNTED`, by table name."""
    with container.db.session() as session:
        return {
            t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0
            for t in COUNTED
        }
