"""Face templates: their facts (``domain.faces.FaceTemplate``) and sealed vectors.

Listings for display return the facts only; what the matcher needs (``SealedTemplate``:
the facts with the sealed, protected vector) is read by the methods named ``sealed_*``
and by :meth:`FaceRepository.stream_gallery`. Opening a vector is the service's job.
The tenant's face-data version lives on the tenant (``TenantRepository``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from gatepost.domain.faces import FaceTemplate
from gatepost.store.tables import FaceTemplate as TemplateRow
from gatepost.store.tables import Person

__all__ = ["FaceRepository", "Removed", "SealedTemplate"]


@dataclass(frozen=True, repr=False)
class SealedTemplate:
    """A template's facts with its vector as stored: protected, then sealed."""

    template: FaceTemplate
    sealed: bytes

    def __repr__(self) -> str:
        return f"SealedTemplate(id={self.template.id})"


@dataclass(frozen=True)
class Removed:
    """Templates deleted, and the kept enrolment photos they named (the caller deletes
    those media objects, rows and blobs)."""

    template_ids: list[str] = field(default_factory=list)
    photo_ids: list[str] = field(default_factory=list)


def _template(row: TemplateRow) -> FaceTemplate:
    return FaceTemplate(
        tenant_id=row.tenant_id,
        id=row.id,
        person_id=row.person_id,
        model=row.model,
        key_generation=row.key_generation,
        quality=row.quality,
        face_width=row.face_width,
        photo_id=row.photo_id,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _sealed(row: TemplateRow) -> SealedTemplate:
    return SealedTemplate(_template(row), row.template_sealed)


class FaceRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, templates: Sequence[SealedTemplate]) -> None:
        self._session.add_all(
            TemplateRow(
                tenant_id=t.template.tenant_id,
                id=t.template.id,
                person_id=t.template.person_id,
                model=t.template.model,
                key_generation=t.template.key_generation,
                template_sealed=t.sealed,
                quality=t.template.quality,
                face_width=t.template.face_width,
                photo_id=t.template.photo_id,
                created_at=t.template.created_at,
                created_by=t.template.created_by,
            )
            for t in templates
        )
        self._session.flush()

    def get(self, *, tenant_id: str, template_id: str) -> FaceTemplate | None:
        row = self._session.get(TemplateRow, (tenant_id, template_id))
        return _template(row) if row is not None else None

    def _of_person(self, tenant_id: str, person_id: str) -> Sequence[TemplateRow]:
        return self._session.scalars(
            select(TemplateRow)
            .where(TemplateRow.tenant_id == tenant_id, TemplateRow.person_id == person_id)
            .order_by(TemplateRow.created_at, TemplateRow.id)
        ).all()

    def of_person(self, *, tenant_id: str, person_id: str) -> list[FaceTemplate]:
        """The person's templates, oldest first."""
        return [_template(row) for row in self._of_person(tenant_id, person_id)]

    def sealed_of_person(self, *, tenant_id: str, person_id: str) -> list[SealedTemplate]:
        return [_sealed(row) for row in self._of_person(tenant_id, person_id)]

    def sealed_all(self, *, tenant_id: str, model: str) -> list[SealedTemplate]:
        """Every template of the tenant for ``model``."""
        rows = self._session.scalars(
            select(TemplateRow).where(
                TemplateRow.tenant_id == tenant_id, TemplateRow.model == model
            )
        )
        return [_sealed(row) for row in rows]

    def stream_gallery(
        self, *, tenant_id: str, model: str, batch: int = 5000
    ) -> Iterator[tuple[SealedTemplate, str | None]]:
        """Every template of the tenant for ``model`` with its person's site, in batches."""
        result = self._session.execute(
            select(TemplateRow, Person.site_id)
            .join(
                Person,
                (Person.tenant_id == TemplateRow.tenant_id) & (Person.id == TemplateRow.person_id),
            )
            .where(TemplateRow.tenant_id == tenant_id, TemplateRow.model == model)
            .execution_options(yield_per=batch)
        )
        for row, site_id in result:
            yield _sealed(row), site_id

    def reseal(
        self, *, tenant_id: str, template_id: str, key_generation: int, sealed: bytes
    ) -> None:
        """Replace a template's vector (renewed under template key ``key_generation``)."""
        self._session.execute(
            update(TemplateRow)
            .where(TemplateRow.tenant_id == tenant_id, TemplateRow.id == template_id)
            .values(key_generation=key_generation, template_sealed=sealed)
        )

    def delete(self, *, tenant_id: str, person_id: str, template_id: str | None = None) -> Removed:
        """Delete a person's templates (or one of them); their kept photos stay for the
        caller to delete (after the templates: they are referenced)."""
        query = select(TemplateRow.id, TemplateRow.photo_id).where(
            TemplateRow.tenant_id == tenant_id, TemplateRow.person_id == person_id
        )
        if template_id is not None:
            query = query.where(TemplateRow.id == template_id)
        rows = self._session.execute(query).all()
        removed = Removed([row_id for row_id, _ in rows], [p for _, p in rows if p])
        if removed.template_ids:
            self._session.execute(
                delete(TemplateRow).where(
                    TemplateRow.tenant_id == tenant_id,
                    TemplateRow.id.in_(removed.template_ids),
                )
            )
        return removed

    def enrolment_counts(self, *, tenant_id: str) -> tuple[int, int]:
        """(people with at least one template, templates) in the tenant."""
        people, templates = self._session.execute(
            select(func.count(func.distinct(TemplateRow.person_id)), func.count()).where(
                TemplateRow.tenant_id == tenant_id
            )
        ).one()
        return int(people or 0), int(templates or 0)
