"""Persons (personal data sealed, found through blind indexes) and their consents.

The repository stores and returns :class:`StoredPerson` records: names, identity
numbers, phones and notes as ciphertext, as they are in the table. Opening them is the
service's job (it holds the tenant's keys). Consents are ``domain.persons.Consent``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from gatepost.domain.identities import IdentityKind
from gatepost.domain.persons import Consent, PersonKind, PersonStatus
from gatepost.store.tables import (
    AlertRow,
    Credential,
    Event,
    Person,
    PersonAccessLevel,
    PresenceRow,
    Tenant,
    Vehicle,
)
from gatepost.store.tables import Consent as ConsentRow
from gatepost.store.tables import RecentFactor as RecentFactorRow

__all__ = ["PersonRepository", "StoredPerson"]


# Pre-built statements of the arrival pipeline's hot path (bound per call): built once,
# their SQL compiled and cached once, instead of on every arrival (docs/access.md).
_EXISTING_IDS = select(Person.id).where(
    Person.tenant_id == bindparam("tenant_id"),
    Person.id.in_(bindparam("person_ids", expanding=True)),
)


@dataclass(frozen=True, repr=False)
class StoredPerson:
    """A person as stored: sealed columns and their blind indexes."""

    tenant_id: str
    id: str
    kind: PersonKind
    status: PersonStatus
    site_id: str | None
    name_sealed: bytes
    name_index: bytes
    identity_kind: IdentityKind | None
    identity_sealed: bytes | None
    identity_index: bytes | None
    phone_sealed: bytes | None
    phone_index: bytes | None
    notes_sealed: bytes | None
    external_ref: str | None
    created_at: datetime
    updated_at: datetime

    def __repr__(self) -> str:
        return f"StoredPerson(id={self.id})"


def _stored(row: Person) -> StoredPerson:
    return StoredPerson(
        tenant_id=row.tenant_id,
        id=row.id,
        kind=PersonKind(row.kind),
        status=PersonStatus(row.status),
        site_id=row.site_id,
        name_sealed=row.name_sealed,
        name_index=row.name_index,
        identity_kind=IdentityKind(row.identity_kind) if row.identity_kind else None,
        identity_sealed=row.identity_sealed,
        identity_index=row.identity_index,
        phone_sealed=row.phone_sealed,
        phone_index=row.phone_index,
        notes_sealed=row.notes_sealed,
        external_ref=row.external_ref,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _consent(row: ConsentRow) -> Consent:
    return Consent(
        tenant_id=row.tenant_id,
        id=row.id,
        person_id=row.person_id,
        purpose=row.purpose,
        notice_version=row.notice_version,
        granted_at=row.granted_at,
        recorded_by=row.recorded_by,
        withdrawn_at=row.withdrawn_at,
    )


class PersonRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    # -- persons ------------------------------------------------------------------

    def save(self, person: StoredPerson) -> None:
        """Insert the person, or replace every column of the one with its id."""
        row = self._session.get(Person, (person.tenant_id, person.id))
        if row is None:
            row = Person(tenant_id=person.tenant_id, id=person.id)
            self._session.add(row)
        row.kind = person.kind.value
        row.status = person.status.value
        row.site_id = person.site_id
        row.name_sealed = person.name_sealed
        row.name_index = person.name_index
        row.identity_kind = person.identity_kind.value if person.identity_kind else None
        row.identity_sealed = person.identity_sealed
        row.identity_index = person.identity_index
        row.phone_sealed = person.phone_sealed
        row.phone_index = person.phone_index
        row.notes_sealed = person.notes_sealed
        row.external_ref = person.external_ref
        row.created_at = person.created_at
        row.updated_at = person.updated_at
        self._session.flush()

    def get(self, *, tenant_id: str, person_id: str) -> StoredPerson | None:
        row = self._session.get(Person, (tenant_id, person_id))
        return _stored(row) if row is not None else None

    def exists(self, *, tenant_id: str, person_id: str) -> bool:
        return bool(self.existing_ids(tenant_id=tenant_id, person_ids=[person_id]))

    def existing_ids(self, *, tenant_id: str, person_ids: Collection[str]) -> set[str]:
        """Which of ``person_ids`` are persons of this tenant."""
        if not person_ids:
            return set()
        params = {"tenant_id": tenant_id, "person_ids": list(person_ids)}
        return set(self._session.scalars(_EXISTING_IDS, params))

    def by_identity_index(self, *, tenant_id: str, index: bytes) -> StoredPerson | None:
        row = self._session.scalars(
            select(Person).where(Person.tenant_id == tenant_id, Person.identity_index == index)
        ).one_or_none()
        return _stored(row) if row is not None else None

    def list(
        self,
        *,
        tenant_id: str,
        limit: int,
        after: str | None,
        site_id: str | None = None,
        name_index: bytes | None = None,
        phone_index: bytes | None = None,
        identity_index: bytes | None = None,
    ) -> Sequence[StoredPerson]:
        query = select(Person).where(Person.tenant_id == tenant_id).order_by(Person.id).limit(limit)
        if after:
            query = query.where(Person.id > after)
        if site_id:
            query = query.where(Person.site_id == site_id)
        if name_index is not None:
            query = query.where(Person.name_index == name_index)
        if phone_index is not None:
            query = query.where(Person.phone_index == phone_index)
        if identity_index is not None:
            query = query.where(Person.identity_index == identity_index)
        return [_stored(row) for row in self._session.scalars(query)]

    def count(self, *, tenant_id: str) -> int:
        query = select(func.count()).select_from(Person).where(Person.tenant_id == tenant_id)
        return int(self._session.scalar(query) or 0)

    def erasure_counts(self, *, tenant_id: str, person_id: str) -> dict[str, int]:
        """What :meth:`delete` would remove or untie, by what it is: credentials by kind
        (``credential:<kind>``), ``access_levels``, ``consents``, ``presence``,
        ``recent_factors`` and ``vehicles`` (untied, not deleted); also ``events`` and
        ``alerts`` that name the person's id, which erasure leaves to retention."""
        counts: dict[str, int] = {}
        credentials = self._session.execute(
            select(Credential.kind, func.count())
            .where(Credential.tenant_id == tenant_id, Credential.person_id == person_id)
            .group_by(Credential.kind)
        )
        for kind, count in credentials:
            counts[f"credential:{kind}"] = int(count)
        owned = {
            "access_levels": (PersonAccessLevel.tenant_id, PersonAccessLevel.person_id),
            "consents": (ConsentRow.tenant_id, ConsentRow.person_id),
            "presence": (PresenceRow.tenant_id, PresenceRow.person_id),
            "recent_factors": (RecentFactorRow.tenant_id, RecentFactorRow.person_id),
            "vehicles": (Vehicle.tenant_id, Vehicle.person_id),
            "events": (Event.tenant_id, Event.person_id),
            "alerts": (AlertRow.tenant_id, AlertRow.person_id),
        }
        for key, (tenant, person) in owned.items():
            query = select(func.count()).where(tenant == tenant_id, person == person_id)
            counts[key] = int(self._session.scalar(query) or 0)
        return counts

    def delete(self, *, tenant_id: str, person_id: str) -> int:
        """Erase the person with their consents, credentials and access levels (their
        face templates are the face service's to delete first); their vehicles stay, no
        longer tied to anyone. Returns how many vehicles were untied."""
        untied = self._session.execute(
            update(Vehicle)
            .where(Vehicle.tenant_id == tenant_id, Vehicle.person_id == person_id)
            .values(person_id=None)
        )
        for owned in (ConsentRow, Credential, PersonAccessLevel, PresenceRow, RecentFactorRow):
            self._session.execute(
                delete(owned).where(owned.tenant_id == tenant_id, owned.person_id == person_id)
            )
        # Their credentials and levels were access rules: caches of them are stale.
        self._session.execute(
            update(Tenant)
            .where(Tenant.id == tenant_id)
            .values(rules_version=Tenant.rules_version + 1)
        )
        self._session.execute(
            delete(Person).where(Person.tenant_id == tenant_id, Person.id == person_id)
        )
        return int(untied.rowcount)  # type: ignore[attr-defined]

    # -- consents -----------------------------------------------------------------

    def add_consent(self, consent: Consent) -> None:
        self._session.add(
            ConsentRow(
                tenant_id=consent.tenant_id,
                id=consent.id,
                person_id=consent.person_id,
                purpose=consent.purpose,
                notice_version=consent.notice_version,
                granted_at=consent.granted_at,
                recorded_by=consent.recorded_by,
                withdrawn_at=consent.withdrawn_at,
            )
        )
        self._session.flush()

    def get_consent(self, *, tenant_id: str, consent_id: str) -> Consent | None:
        row = self._session.get(ConsentRow, (tenant_id, consent_id))
        return _consent(row) if row is not None else None

    def consents_of(self, *, tenant_id: str, person_id: str) -> Sequence[Consent]:
        """The person's consents, oldest first (withdrawn ones included)."""
        query = (
            select(ConsentRow)
            .where(ConsentRow.tenant_id == tenant_id, ConsentRow.person_id == person_id)
            .order_by(ConsentRow.granted_at)
        )
        return [_consent(row) for row in self._session.scalars(query)]

    def current_consent(self, *, tenant_id: str, person_id: str, purpose: str) -> Consent | None:
        """The newest consent for ``purpose`` that has not been withdrawn."""
        row = self._session.scalars(
            select(ConsentRow)
            .where(
                ConsentRow.tenant_id == tenant_id,
                ConsentRow.person_id == person_id,
                ConsentRow.purpose == purpose,
                ConsentRow.withdrawn_at.is_(None),
            )
            .order_by(ConsentRow.granted_at.desc())
            .limit(1)
        ).one_or_none()
        return _consent(row) if row is not None else None

    def withdraw_consent(self, *, tenant_id: str, consent_id: str, at: datetime) -> None:
        """Withdraw the consent at ``at`` unless it already is (the first time stays)."""
        self._session.execute(
            update(ConsentRow)
            .where(
                ConsentRow.tenant_id == tenant_id,
                ConsentRow.id == consent_id,
                ConsentRow.withdrawn_at.is_(None),
            )
            .values(withdrawn_at=at)
        )
