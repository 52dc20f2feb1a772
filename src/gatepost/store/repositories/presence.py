"""Presence: where the platform last placed each person (rows in, dataclasses out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gatepost.domain.zones import Presence
from gatepost.store.repositories._rows import upsert_atomic
from gatepost.store.tables import Person, PresenceRow, Zone

__all__ = ["Placement", "PresenceRepository"]


@dataclass(frozen=True)
class Placement:
    """One person on a site's muster list: the zone, since when, through which point."""

    person_id: str
    zone_id: str
    since: datetime
    access_point_id: str
    event_id: str


class PresenceRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def of_person(self, *, tenant_id: str, person_id: str) -> Presence | None:
        row = self._session.get(PresenceRow, (tenant_id, person_id))
        return Presence(row.zone_id, row.since) if row is not None else None

    def privileged_present(self, *, tenant_id: str, zone_id: str) -> bool:
        """Whether a first-in privileged person is placed in the zone."""
        query = (
            select(PresenceRow.person_id)
            .join(
                Person,
                (Person.tenant_id == PresenceRow.tenant_id) & (Person.id == PresenceRow.person_id),
            )
            .where(
                PresenceRow.tenant_id == tenant_id,
                PresenceRow.zone_id == zone_id,
                Person.first_in_privileged.is_(True),
            )
            .limit(1)
        )
        return self._session.scalar(query) is not None

    def place(
        self,
        *,
        tenant_id: str,
        person_id: str,
        zone_id: str | None,
        since: datetime,
        access_point_id: str,
        event_id: str,
    ) -> None:
        """Place the person in ``zone_id`` (None: they left the site)."""
        if zone_id is None:
            self._session.execute(
                delete(PresenceRow).where(
                    PresenceRow.tenant_id == tenant_id, PresenceRow.person_id == person_id
                )
            )
            return
        upsert_atomic(
            self._session,
            PresenceRow,
            {
                "tenant_id": tenant_id,
                "person_id": person_id,
                "zone_id": zone_id,
                "since": since,
                "access_point_id": access_point_id,
                "event_id": event_id,
            },
            key=("tenant_id", "person_id"),
        )

    def on_site(self, *, tenant_id: str, site_id: str) -> list[Placement]:
        """Everyone placed in a zone of the site, by zone then time."""
        query = (
            select(PresenceRow)
            .join(
                Zone, (Zone.tenant_id == PresenceRow.tenant_id) & (Zone.id == PresenceRow.zone_id)
            )
            .where(PresenceRow.tenant_id == tenant_id, Zone.site_id == site_id)
            .order_by(PresenceRow.zone_id, PresenceRow.since)
        )
        return [
            Placement(row.person_id, row.zone_id, row.since, row.access_point_id, row.event_id)
            for row in self._session.scalars(query)
        ]
