"""Face templates (protected embeddings) and the tenant's face-data version."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from gatepost.store.repositories import media as media_repo
from gatepost.store.tables import Consent, FaceTemplate, Person, Tenant

__all__ = [
    "Removed",
    "add_templates",
    "all_templates",
    "bump_version",
    "current_consent",
    "delete_templates",
    "enrolment_counts",
    "get_template",
    "stream_gallery",
    "templates_of",
]


def add_templates(session: Session, templates: Sequence[FaceTemplate]) -> None:
    session.add_all(templates)
    session.flush()


def all_templates(session: Session, *, tenant_id: str, model: str) -> Sequence[FaceTemplate]:
    return session.scalars(
        select(FaceTemplate).where(FaceTemplate.tenant_id == tenant_id, FaceTemplate.model == model)
    ).all()


def get_template(session: Session, *, tenant_id: str, template_id: str) -> FaceTemplate | None:
    return session.get(FaceTemplate, (tenant_id, template_id))


def templates_of(session: Session, *, tenant_id: str, person_id: str) -> Sequence[FaceTemplate]:
    return session.scalars(
        select(FaceTemplate)
        .where(FaceTemplate.tenant_id == tenant_id, FaceTemplate.person_id == person_id)
        .order_by(FaceTemplate.created_at, FaceTemplate.id)
    ).all()


@dataclass(frozen=True)
class Removed:
    """Templates deleted, and the kept enrolment photos whose rows went with them (the
    caller deletes their blobs after the commit)."""

    template_ids: list[str] = field(default_factory=list)
    photo_ids: list[str] = field(default_factory=list)


def delete_templates(
    session: Session, *, tenant_id: str, person_id: str, template_id: str | None = None
) -> Removed:
    """Delete a person's templates (or one of them) and their kept photos' rows."""
    query = select(FaceTemplate.id, FaceTemplate.photo_id).where(
        FaceTemplate.tenant_id == tenant_id, FaceTemplate.person_id == person_id
    )
    if template_id is not None:
        query = query.where(FaceTemplate.id == template_id)
    rows = session.execute(query).all()
    removed = Removed([row[0] for row in rows], [row[1] for row in rows if row[1]])
    if removed.template_ids:
        session.execute(
            delete(FaceTemplate).where(
                FaceTemplate.tenant_id == tenant_id,
                FaceTemplate.id.in_(removed.template_ids),
            )
        )
        media_repo.delete_media_rows(session, tenant_id=tenant_id, media_ids=removed.photo_ids)
    return removed


def enrolment_counts(session: Session, *, tenant_id: str) -> tuple[int, int]:
    """(people with at least one template, templates) in the tenant."""
    people, templates = session.execute(
        select(func.count(func.distinct(FaceTemplate.person_id)), func.count()).where(
            FaceTemplate.tenant_id == tenant_id
        )
    ).one()
    return int(people or 0), int(templates or 0)


def current_consent(
    session: Session, *, tenant_id: str, person_id: str, purpose: str
) -> Consent | None:
    """The newest consent for ``purpose`` that has not been withdrawn."""
    return session.scalars(
        select(Consent)
        .where(
            Consent.tenant_id == tenant_id,
            Consent.person_id == person_id,
            Consent.purpose == purpose,
            Consent.withdrawn_at.is_(None),
        )
        .order_by(Consent.granted_at.desc())
        .limit(1)
    ).one_or_none()


def bump_version(session: Session, *, tenant_id: str) -> int:
    """Increment and return the tenant's face-data version (row-locked by the UPDATE)."""
    session.execute(
        update(Tenant)
        .where(Tenant.id == tenant_id)
        .values(face_gallery_version=Tenant.face_gallery_version + 1)
    )
    version = session.scalar(select(Tenant.face_gallery_version).where(Tenant.id == tenant_id))
    return int(version or 0)


def stream_gallery(
    session: Session, *, tenant_id: str, model: str, batch: int = 5000
) -> Iterator[tuple[FaceTemplate, str | None]]:
    """Every template of the tenant for ``model`` with its person's site, in batches."""
    result = session.execute(
        select(FaceTemplate, Person.site_id)
        .join(
            Person,
            (Person.tenant_id == FaceTemplate.tenant_id) & (Person.id == FaceTemplate.person_id),
        )
        .where(FaceTemplate.tenant_id == tenant_id, FaceTemplate.model == model)
        .execution_options(yield_per=batch)
    )
    for row in result:
        yield row[0], row[1]
