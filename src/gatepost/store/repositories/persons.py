"""Persons and their consents."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from gatepost.store.tables import Consent, Person, Vehicle

__all__ = [
    "add_consent",
    "add_person",
    "by_identity_index",
    "consents_of",
    "count_persons",
    "delete_person",
    "get_consent",
    "get_person",
    "list_persons",
]


def add_person(session: Session, person: Person) -> None:
    session.add(person)
    session.flush()


def get_person(session: Session, *, tenant_id: str, person_id: str) -> Person | None:
    return session.get(Person, (tenant_id, person_id))


def by_identity_index(session: Session, *, tenant_id: str, index: bytes) -> Person | None:
    return session.scalars(
        select(Person).where(Person.tenant_id == tenant_id, Person.identity_index == index)
    ).one_or_none()


def list_persons(
    session: Session,
    *,
    tenant_id: str,
    limit: int,
    after: str | None,
    site_id: str | None = None,
    name_index: bytes | None = None,
    phone_index: bytes | None = None,
    identity_index: bytes | None = None,
) -> Sequence[Person]:
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
    return session.scalars(query).all()


def count_persons(session: Session, *, tenant_id: str) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(Person).where(Person.tenant_id == tenant_id)
        )
        or 0
    )


def delete_person(session: Session, *, tenant_id: str, person_id: str) -> None:
    """Delete the person with their consents (erasure; their face templates are the face
    service's to delete first); their vehicles stay, no longer tied to anyone."""
    session.execute(
        update(Vehicle)
        .where(Vehicle.tenant_id == tenant_id, Vehicle.person_id == person_id)
        .values(person_id=None)
    )
    session.execute(
        delete(Consent).where(Consent.tenant_id == tenant_id, Consent.person_id == person_id)
    )
    session.execute(delete(Person).where(Person.tenant_id == tenant_id, Person.id == person_id))


def add_consent(session: Session, consent: Consent) -> None:
    session.add(consent)
    session.flush()


def get_consent(session: Session, *, tenant_id: str, consent_id: str) -> Consent | None:
    return session.get(Consent, (tenant_id, consent_id))


def consents_of(session: Session, *, tenant_id: str, person_id: str) -> Sequence[Consent]:
    return session.scalars(
        select(Consent)
        .where(Consent.tenant_id == tenant_id, Consent.person_id == person_id)
        .order_by(Consent.granted_at)
    ).all()
