"""Access levels (with their access points), who holds them, and persons' access flags.

Levels come out as :class:`StoredAccessLevel` (the schedule by id), a person's levels as
``domain.rule_sets.LevelAssignment`` and a person's access flags as
``domain.access_points.PersonFacts``. The flags are columns of ``persons`` that only this
repository writes, so saving a person's personal data keeps them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from gatepost.domain.access_points import PersonFacts
from gatepost.domain.persons import PersonStatus
from gatepost.domain.rule_sets import LevelAssignment
from gatepost.domain.validity import ValidityWindow
from gatepost.store.repositories._rows import keyset_page, upsert
from gatepost.store.tables import AccessLevel, AccessLevelPoint, Person, PersonAccessLevel

__all__ = ["AccessLevelRepository", "StoredAccessLevel"]


# Pre-built statements of the arrival pipeline's hot path (bound per call): built once,
# their SQL compiled and cached once, instead of on every arrival (docs/access.md).
_ASSIGNMENTS_OF = (
    select(PersonAccessLevel)
    .where(
        PersonAccessLevel.tenant_id == bindparam("tenant_id"),
        PersonAccessLevel.person_id == bindparam("person_id"),
    )
    .order_by(PersonAccessLevel.access_level_id)
)
_PERSON_FACTS = select(
    Person.status,
    Person.blocked,
    Person.watchlisted,
    Person.first_in_privileged,
    Person.valid_from,
    Person.valid_until,
).where(Person.tenant_id == bindparam("tenant_id"), Person.id == bindparam("person_id"))


@dataclass(frozen=True)
class StoredAccessLevel:
    tenant_id: str
    id: str
    name: str
    schedule_id: str
    access_point_ids: frozenset[str]
    created_at: datetime
    updated_at: datetime


def _assignment(row: PersonAccessLevel) -> LevelAssignment:
    return LevelAssignment(
        person_id=row.person_id,
        access_level_id=row.access_level_id,
        validity=ValidityWindow(row.valid_from, row.valid_until),
        created_at=row.created_at,
    )


class AccessLevelRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    # -- levels -------------------------------------------------------------------------

    def _stored(self, rows: Sequence[AccessLevel], *, tenant_id: str) -> list[StoredAccessLevel]:
        """The levels of ``rows`` with their access points (one more query)."""
        links: dict[str, set[str]] = {row.id: set() for row in rows}
        if rows:
            query = select(AccessLevelPoint.access_level_id, AccessLevelPoint.access_point_id)
            query = query.where(
                AccessLevelPoint.tenant_id == tenant_id,
                AccessLevelPoint.access_level_id.in_(list(links)),
            )
            for level_id, point_id in self._session.execute(query):
                links[level_id].add(point_id)
        return [
            StoredAccessLevel(
                tenant_id=row.tenant_id,
                id=row.id,
                name=row.name,
                schedule_id=row.schedule_id,
                access_point_ids=frozenset(links[row.id]),
                created_at=row.created_at,
                updated_at=row.updated_at,
            )
            for row in rows
        ]

    def save(self, level: StoredAccessLevel) -> None:
        """Insert the level, or replace the one with its id (its access points too)."""
        values = {
            "tenant_id": level.tenant_id,
            "id": level.id,
            "name": level.name,
            "schedule_id": level.schedule_id,
            "created_at": level.created_at,
            "updated_at": level.updated_at,
        }
        upsert(self._session, AccessLevel, values)
        self._session.execute(
            delete(AccessLevelPoint).where(
                AccessLevelPoint.tenant_id == level.tenant_id,
                AccessLevelPoint.access_level_id == level.id,
            )
        )
        self._session.add_all(
            AccessLevelPoint(
                tenant_id=level.tenant_id, access_level_id=level.id, access_point_id=point_id
            )
            for point_id in sorted(level.access_point_ids)
        )
        self._session.flush()

    def get(self, *, tenant_id: str, access_level_id: str) -> StoredAccessLevel | None:
        row = self._session.get(AccessLevel, (tenant_id, access_level_id))
        return self._stored([row], tenant_id=tenant_id)[0] if row is not None else None

    def by_name(self, *, tenant_id: str, name: str) -> StoredAccessLevel | None:
        query = select(AccessLevel).where(
            AccessLevel.tenant_id == tenant_id, AccessLevel.name == name
        )
        row = self._session.scalars(query).one_or_none()
        return self._stored([row], tenant_id=tenant_id)[0] if row is not None else None

    def list(
        self,
        *,
        tenant_id: str,
        limit: int,
        after: str | None = None,
        access_point_id: str | None = None,
    ) -> Sequence[StoredAccessLevel]:
        query = select(AccessLevel).where(AccessLevel.tenant_id == tenant_id)
        if access_point_id:
            holding = select(AccessLevelPoint.access_level_id).where(
                AccessLevelPoint.tenant_id == tenant_id,
                AccessLevelPoint.access_point_id == access_point_id,
            )
            query = query.where(AccessLevel.id.in_(holding))
        page = keyset_page(query, AccessLevel.id, limit=limit, after=after)
        return self._stored(self._session.scalars(page).all(), tenant_id=tenant_id)

    def all(self, *, tenant_id: str) -> Sequence[StoredAccessLevel]:
        """Every level of the tenant with its access points (two queries in all)."""
        query = select(AccessLevel).where(AccessLevel.tenant_id == tenant_id)
        rows = self._session.scalars(query.order_by(AccessLevel.id)).all()
        return self._stored(rows, tenant_id=tenant_id)

    def delete(self, *, tenant_id: str, access_level_id: str) -> int:
        """Delete the level with its access points and its holders; returns how many
        persons held it."""
        held = self._session.execute(
            delete(PersonAccessLevel).where(
                PersonAccessLevel.tenant_id == tenant_id,
                PersonAccessLevel.access_level_id == access_level_id,
            )
        )
        self._session.execute(
            delete(AccessLevelPoint).where(
                AccessLevelPoint.tenant_id == tenant_id,
                AccessLevelPoint.access_level_id == access_level_id,
            )
        )
        self._session.execute(
            delete(AccessLevel).where(
                AccessLevel.tenant_id == tenant_id, AccessLevel.id == access_level_id
            )
        )
        return int(held.rowcount)  # type: ignore[attr-defined]

    # -- who holds them -----------------------------------------------------------------

    def assignments_of(self, *, tenant_id: str, person_id: str) -> Sequence[LevelAssignment]:
        """The person's access levels (expired and future ones included), by level id."""
        params = {"tenant_id": tenant_id, "person_id": person_id}
        return [_assignment(row) for row in self._session.scalars(_ASSIGNMENTS_OF, params)]

    def holder_counts(self, *, tenant_id: str) -> dict[str, int]:
        """How many persons hold each level (expired and future holdings included); a
        level nobody holds is absent."""
        query = (
            select(PersonAccessLevel.access_level_id, func.count())
            .where(PersonAccessLevel.tenant_id == tenant_id)
            .group_by(PersonAccessLevel.access_level_id)
        )
        return {level_id: int(count) for level_id, count in self._session.execute(query).all()}

    def holders(self, *, tenant_id: str, access_level_id: str, limit: int) -> Sequence[str]:
        """The ids of (at most ``limit``) persons who hold the level, by person id."""
        query = (
            select(PersonAccessLevel.person_id)
            .where(
                PersonAccessLevel.tenant_id == tenant_id,
                PersonAccessLevel.access_level_id == access_level_id,
            )
            .order_by(PersonAccessLevel.person_id)
            .limit(limit)
        )
        return list(self._session.scalars(query).all())

    def get_assignment(
        self, *, tenant_id: str, person_id: str, access_level_id: str
    ) -> LevelAssignment | None:
        row = self._session.get(PersonAccessLevel, (tenant_id, person_id, access_level_id))
        return _assignment(row) if row is not None else None

    def assign(self, *, tenant_id: str, assignment: LevelAssignment, at: datetime) -> None:
        """Give the person the level (or change the validity of the one they hold)."""
        key = (tenant_id, assignment.person_id, assignment.access_level_id)
        row = self._session.get(PersonAccessLevel, key)
        if row is None:
            row = PersonAccessLevel(
                tenant_id=tenant_id,
                person_id=assignment.person_id,
                access_level_id=assignment.access_level_id,
                created_at=at,
            )
            self._session.add(row)
        row.valid_from = assignment.validity.valid_from
        row.valid_until = assignment.validity.valid_until
        self._session.flush()

    def unassign(self, *, tenant_id: str, person_id: str, access_level_id: str) -> None:
        self._session.execute(
            delete(PersonAccessLevel).where(
                PersonAccessLevel.tenant_id == tenant_id,
                PersonAccessLevel.person_id == person_id,
                PersonAccessLevel.access_level_id == access_level_id,
            )
        )

    # -- persons' access flags ----------------------------------------------------------

    def person_facts(self, *, tenant_id: str, person_id: str) -> PersonFacts | None:
        """What access rules read of the person (no personal data), or None."""
        params = {"tenant_id": tenant_id, "person_id": person_id}
        found = self._session.execute(_PERSON_FACTS, params).one_or_none()
        if found is None:
            return None
        status, blocked, watchlisted, privileged, valid_from, valid_until = found
        return PersonFacts(
            id=person_id,
            status=PersonStatus(status),
            validity=ValidityWindow(valid_from, valid_until),
            blocked=blocked,
            watchlisted=watchlisted,
            first_in_privileged=privileged,
        )

    def set_person_flags(self, *, tenant_id: str, facts: PersonFacts) -> None:
        """Store the person's access flags and validity (their status is not changed)."""
        self._session.execute(
            update(Person)
            .where(Person.tenant_id == tenant_id, Person.id == facts.id)
            .values(
                blocked=facts.blocked,
                watchlisted=facts.watchlisted,
                first_in_privileged=facts.first_in_privileged,
                valid_from=facts.validity.valid_from,
                valid_until=facts.validity.valid_until,
            )
        )
