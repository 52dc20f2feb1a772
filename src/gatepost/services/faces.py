"""FaceService: consent-gated enrolment, protected templates, galleries and policy.

Enrolment takes 1-5 photos of one person. Each must show exactly one face that passes
the enrolment quality gates; nothing is stored unless all do. It is refused (409)
without a current consent for ``biometric_face`` (SECURITY.md 26). Only templates are
kept: the embedding rotated by the tenant's secret template key, then sealed with its
data key (SECURITY.md 9); the photos are not stored unless the tenant keeps them
(``photo_days``: sealed media with that expiry, deleted with their templates).

This service also owns the engine (built on first use), the in-process galleries and
the tenant's face policy; recognition itself is ``gatepost.services.recognition``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from gatepost.domain.faces import (
    FACE_CONSENT_PURPOSE,
    OpenSetPolicy,
)
from gatepost.domain.ports import Clock
from gatepost.errors import Conflict, NotFound, ValidationFailed
from gatepost.matching.faces import FaceGalleries, GalleryEntry
from gatepost.security.policy import Principal
from gatepost.services.audit import AuditRecord, AuditService
from gatepost.services.face_galleries import GallerySync, open_template, seal_template
from gatepost.services.keys import KeyService
from gatepost.services.media import MediaService
from gatepost.services.persons import BiometricPurge, person_in_tenant
from gatepost.settings import FaceSettings
from gatepost.store.db import Database
from gatepost.store.ids import new_id
from gatepost.store.repositories import faces as face_repo
from gatepost.store.repositories import tenants as tenant_repo
from gatepost.store.tables import Consent, FaceTemplate, Tenant
from gatepost.vision.calibration import threshold_for
from gatepost.vision.faces import Embedding, FaceEngine, FaceFinding, QualityGates
from gatepost.vision.images import BadImage, decode_rgb

__all__ = ["Enrolment", "FaceService", "Photo", "TemplateView"]


@dataclass(frozen=True, repr=False)
class Photo:
    data: bytes
    filename: str = "photo"

    def __repr__(self) -> str:
        return f"Photo({self.filename!r}, {len(self.data)} bytes)"


@dataclass(frozen=True)
class TemplateView:
    id: str
    model: str
    quality: float
    face_width: int
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class Enrolment:
    person_id: str
    faces: list[TemplateView]
    replaced: int


class FaceService:
    def __init__(
        self,
        *,
        db: Database,
        keys: KeyService,
        audit: AuditService,
        clock: Clock,
        settings: FaceSettings,
        media: MediaService,
        engine: Callable[[], FaceEngine],
        galleries: FaceGalleries,
        model: str,
        max_bytes: int,
        max_pixels: int,
    ) -> None:
        self._db = db
        self._keys = keys
        self._audit = audit
        self._clock = clock
        self._settings = settings
        self._media = media
        self._engine_factory = engine
        self._model = model
        self._sync = GallerySync(keys=keys, galleries=galleries, model=model)
        self._max_bytes = max_bytes
        self._max_pixels = max_pixels
        self._enrol_gates = QualityGates(
            min_size=settings.enrol_min_size,
            min_sharpness=settings.enrol_min_sharpness,
            min_pose=settings.enrol_min_pose,
        )

    @property
    def model(self) -> str:
        return self._model

    @property
    def sync(self) -> GallerySync:
        return self._sync

    @property
    def engine(self) -> FaceEngine:
        """The face engine: the factory builds it on first use (loading the models takes
        a moment) and shares it after (see ``services.container.shared_face_engine``)."""
        return self._engine_factory()

    # -- enrolment ---------------------------------------------------------------

    def enrol(
        self, principal: Principal, person_id: str, photos: Sequence[Photo], *, replace: bool
    ) -> Enrolment:
        """Enrol from 1-5 photos; all-or-nothing. ``replace`` drops earlier templates."""
        limit = self._settings.max_photos
        if not 1 <= len(photos) <= limit:
            raise ValidationFailed(f"send 1-{limit} photos", field="files")
        with self._db.reading() as session:  # refuse before any image work
            person_in_tenant(session, principal, person_id)
            self._current_consent(session, principal, person_id)
            photo_days = self.tenant(session, principal.tenant_id).face_photo_days
        embeddings = [self._enrolment_face(number, photo) for number, photo in enumerate(photos)]
        kept = self._keep_photos(principal, photos, photo_days)
        try:
            version, site_id, rows, entries, replaced = self._store_templates(
                principal, person_id, embeddings, kept, replace=replace
            )
        except BaseException:
            self._media.delete(tenant_id=principal.tenant_id, media_ids=kept)
            raise
        self._media.discard(tenant_id=principal.tenant_id, media_ids=replaced.photo_ids)
        self._sync.applied(
            tenant_id=principal.tenant_id,
            version=version,
            site_id=site_id,
            added=entries,
            removed=replaced.template_ids,
        )
        return Enrolment(person_id, [_view(row) for row in rows], len(replaced.template_ids))

    def _keep_photos(self, principal: Principal, photos: Sequence[Photo], days: int) -> list[str]:
        """Store the photos sealed, expiring after ``days``, if the tenant keeps them."""
        kept: list[str] = []
        if days <= 0:
            return kept
        try:
            for photo in photos:
                media = self._media.store_image(
                    principal,
                    data=photo.data,
                    declared_type=None,
                    kind="face_enrolment",
                    retention=timedelta(days=days),
                )
                kept.append(media.id)
        except BaseException:
            self._media.delete(tenant_id=principal.tenant_id, media_ids=kept)
            raise
        return kept

    def _store_templates(
        self,
        principal: Principal,
        person_id: str,
        embeddings: Sequence[tuple[FaceFinding, Embedding]],
        kept: Sequence[str],
        *,
        replace: bool,
    ) -> tuple[int, str | None, list[FaceTemplate], list[GalleryEntry], face_repo.Removed]:
        now = self._clock.now()
        with self._db.session() as session:
            person = person_in_tenant(session, principal, person_id)
            consent = self._current_consent(session, principal, person_id)  # still current?
            rotation = self._keys.ensure_template_rotation(
                session, tenant_id=principal.tenant_id, dim=self.engine.dim
            )
            replaced = (
                face_repo.delete_templates(
                    session, tenant_id=principal.tenant_id, person_id=person_id
                )
                if replace
                else face_repo.Removed()
            )
            rows, entries = [], []
            for number, (finding, embedding) in enumerate(embeddings):
                row = FaceTemplate(
                    tenant_id=principal.tenant_id,
                    id=new_id(),
                    person_id=person_id,
                    model=self._model,
                    key_generation=rotation.generation,
                    template_sealed=b"",
                    quality=round(finding.quality.sharpness, 1),
                    face_width=finding.quality.size,
                    photo_id=kept[number] if kept else None,
                    created_at=now,
                    created_by=principal.actor,
                )
                template = rotation.protect(embedding)
                seal_template(self._keys, session, row, template)
                rows.append(row)
                entries.append(GalleryEntry(row.id, person_id, template))
            face_repo.add_templates(session, rows)
            version = face_repo.bump_version(session, tenant_id=principal.tenant_id)
            self._audit.record(
                session,
                tenant_id=principal.tenant_id,
                record=AuditRecord(
                    actor=principal.actor,
                    action="face.enrolled",
                    target=f"person:{person_id}",
                    purpose=FACE_CONSENT_PURPOSE,
                    details={
                        "added": str(len(rows)),
                        "replaced": str(len(replaced.template_ids)),
                        "photos_kept": str(len(kept)),
                        "consent": consent.id,
                    },
                ),
            )
            return version, person.site_id, rows, entries, replaced

    def _enrolment_face(self, number: int, photo: Photo) -> tuple[FaceFinding, Embedding]:
        label = f"photo {number + 1} ({photo.filename})"
        try:
            image = decode_rgb(photo.data, max_bytes=self._max_bytes, max_pixels=self._max_pixels)
        except BadImage as exc:
            raise BadImage(f"{label}: {exc.message}", field=f"files[{number}]") from exc
        faces = self.engine.detect(image)
        if not faces:
            raise ValidationFailed(f"{label}: no face found", field=f"files[{number}]")
        if len(faces) > 1:
            raise ValidationFailed(
                f"{label}: {len(faces)} faces found; use a photo of this person alone",
                field=f"files[{number}]",
            )
        problems = self._enrol_gates.problems(faces[0].quality)
        if problems:
            raise ValidationFailed(f"{label}: {'; '.join(problems)}", field=f"files[{number}]")
        (embedding,) = self.engine.embed(image, faces)
        return faces[0], embedding

    def templates(self, principal: Principal, person_id: str) -> list[TemplateView]:
        with self._db.reading() as session:
            person_in_tenant(session, principal, person_id)
            rows = face_repo.templates_of(
                session, tenant_id=principal.tenant_id, person_id=person_id
            )
            return [_view(row) for row in rows]

    def delete(self, principal: Principal, person_id: str, template_id: str | None = None) -> int:
        """Delete a person's templates (or one); audited. Returns how many went."""
        with self._db.session() as session:
            if template_id is not None:
                # The template first: a foreign or unknown one answers the same 404
                # whichever person id comes with it.
                found = face_repo.get_template(
                    session, tenant_id=principal.tenant_id, template_id=template_id
                )
                if found is None or found.person_id != person_id:
                    raise NotFound("face template")
            person_in_tenant(session, principal, person_id)
            removed = face_repo.delete_templates(
                session, tenant_id=principal.tenant_id, person_id=person_id, template_id=template_id
            )
            version = face_repo.bump_version(session, tenant_id=principal.tenant_id)
            self._audit.record(
                session,
                tenant_id=principal.tenant_id,
                record=AuditRecord(
                    actor=principal.actor,
                    action="face.deleted",
                    target=f"person:{person_id}",
                    details={"removed": str(len(removed.template_ids))},
                ),
            )
        self._media.discard(tenant_id=principal.tenant_id, media_ids=removed.photo_ids)
        self._sync.applied(
            tenant_id=principal.tenant_id,
            version=version,
            site_id=None,
            removed=removed.template_ids,
        )
        return len(removed.template_ids)

    def purge(self, session: Session, *, tenant_id: str, person_id: str) -> BiometricPurge:
        """Inside the caller's transaction: delete the person's templates, bump the
        version. Call :meth:`purged` after the commit."""
        removed = face_repo.delete_templates(session, tenant_id=tenant_id, person_id=person_id)
        if not removed.template_ids:
            return BiometricPurge()
        version = face_repo.bump_version(session, tenant_id=tenant_id)
        return BiometricPurge(version, tuple(removed.photo_ids))

    def regroup(self, session: Session, *, tenant_id: str) -> None:
        """A person moved to another site: every process rebuilds the tenant's galleries
        on its next search (the version changes; nothing is applied in place)."""
        face_repo.bump_version(session, tenant_id=tenant_id)

    def purged(self, *, tenant_id: str, person_id: str, purge: BiometricPurge) -> None:
        if purge.version:
            self._sync.applied(
                tenant_id=tenant_id, version=purge.version, site_id=None, person_removed=person_id
            )
        self._media.discard(tenant_id=tenant_id, media_ids=purge.photo_ids)

    def renew_templates(self, principal: Principal) -> int:
        """Re-key: a new template key, and every template moved to it without photos
        (ISO/IEC 24745 renewability). Old templates stop matching new probes' space."""
        with self._db.session() as session:
            tenant_id = principal.tenant_id
            rows = face_repo.all_templates(session, tenant_id=tenant_id, model=self._model)
            old = {
                g: self._keys.template_rotation(
                    session, tenant_id=tenant_id, dim=self.engine.dim, generation=g
                )
                for g in {row.key_generation for row in rows}
            }
            new = self._keys.add_template_generation(
                session, tenant_id=tenant_id, dim=self.engine.dim
            )
            moved = 0
            for row in rows:
                rotation = old[row.key_generation]
                if rotation is None:
                    continue
                template = rotation.renew(open_template(self._keys, session, row), to=new)
                row.key_generation = new.generation
                seal_template(self._keys, session, row, template)
                moved += 1
            face_repo.bump_version(session, tenant_id=tenant_id)
            self._audit.record(
                session,
                tenant_id=tenant_id,
                record=AuditRecord(
                    actor=principal.actor,
                    action="face.templates_renewed",
                    target=f"tenant:{tenant_id}",
                    details={"renewed": str(moved), "generation": str(new.generation)},
                ),
            )
        self._sync.galleries.drop_tenant(principal.tenant_id)
        return moved

    # -- policy ------------------------------------------------------------------

    def policy_of(self, tenant: Tenant) -> OpenSetPolicy:
        return OpenSetPolicy(
            threshold=threshold_for(self._model, tenant.face_target_fmr),
            target_fmr=tenant.face_target_fmr,
            max_fpir=tenant.face_max_fpir,
        )

    def enrolled(self, principal: Principal) -> tuple[int, int]:
        """(people enrolled, templates stored) in the caller's tenant."""
        with self._db.reading() as session:
            return face_repo.enrolment_counts(session, tenant_id=principal.tenant_id)

    def photo_days(self, principal: Principal) -> int:
        """Days enrolment photos are kept (sealed); 0: they are discarded."""
        with self._db.reading() as session:
            return self.tenant(session, principal.tenant_id).face_photo_days

    def policy(self, principal: Principal) -> OpenSetPolicy:
        with self._db.reading() as session:
            return self.policy_of(self.tenant(session, principal.tenant_id))

    def set_policy(
        self,
        principal: Principal,
        *,
        target_fmr: float,
        max_fpir: float,
        photo_days: int | None = None,
    ) -> OpenSetPolicy:
        """Set the matching policy; ``photo_days`` (None: unchanged) > 0 keeps enrolment
        photos, sealed, for that many days (0: discard them, the default)."""
        if photo_days is not None and not 0 <= photo_days <= 3650:
            raise ValidationFailed("photo_days must be between 0 and 3650", field="photo_days")
        if not 1e-7 <= target_fmr <= 1e-2:
            raise ValidationFailed("target_fmr must be between 1e-7 and 1e-2", field="target_fmr")
        if not 1e-6 <= max_fpir <= 0.5:
            raise ValidationFailed("max_fpir must be between 1e-6 and 0.5", field="max_fpir")
        with self._db.session() as session:
            tenant = self.tenant(session, principal.tenant_id)
            before = _policy_text(tenant)
            tenant.face_target_fmr = target_fmr
            tenant.face_max_fpir = max_fpir
            if photo_days is not None:
                tenant.face_photo_days = photo_days
            self._audit.record(
                session,
                tenant_id=principal.tenant_id,
                record=AuditRecord(
                    actor=principal.actor,
                    action="face.policy_changed",
                    target=f"tenant:{tenant.id}",
                    details={
                        "before": before,
                        "after": _policy_text(tenant),
                    },
                ),
            )
            return self.policy_of(tenant)

    # -- helpers -----------------------------------------------------------------

    @staticmethod
    def _current_consent(session: Session, principal: Principal, person_id: str) -> Consent:
        consent = face_repo.current_consent(
            session,
            tenant_id=principal.tenant_id,
            person_id=person_id,
            purpose=FACE_CONSENT_PURPOSE,
        )
        if consent is None:
            raise Conflict(
                f"this person has no current consent for {FACE_CONSENT_PURPOSE!r}: "
                "record it before enrolling a face"
            )
        return consent

    @staticmethod
    def tenant(session: Session, tenant_id: str) -> Tenant:
        tenant = tenant_repo.get_tenant(session, tenant_id=tenant_id)
        if tenant is None:
            raise NotFound("tenant")
        return tenant


def _policy_text(tenant: Tenant) -> str:
    return (
        f"target_fmr={tenant.face_target_fmr:g} max_fpir={tenant.face_max_fpir:g} "
        f"photo_days={tenant.face_photo_days}"
    )


def _view(row: FaceTemplate) -> TemplateView:
    return TemplateView(
        id=row.id,
        model=row.model,
        quality=row.quality,
        face_width=row.face_width,
        created_at=row.created_at,
        created_by=row.created_by,
    )
