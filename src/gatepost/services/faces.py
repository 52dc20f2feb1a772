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
from dataclasses import dataclass, replace
from datetime import timedelta

from gatepost.domain.faces import FACE_CONSENT_PURPOSE, FaceTemplate, OpenSetPolicy
from gatepost.domain.media import MediaKind
from gatepost.domain.persons import Consent
from gatepost.domain.ports import Clock
from gatepost.domain.tenants import Tenant
from gatepost.errors import Conflict, NotFound, ValidationFailed
from gatepost.matching.faces import FaceGalleries, GalleryEntry
from gatepost.security.policy import Principal
from gatepost.services.audit import AuditRecord
from gatepost.services.face_galleries import GallerySync, open_template, seal_template
from gatepost.services.media import MediaService
from gatepost.services.persons import person_in_tenant
from gatepost.services.tenants import tenant_of
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.settings import FaceSettings
from gatepost.store.ids import new_id
from gatepost.store.repositories.faces import Removed
from gatepost.vision.calibration import threshold_for
from gatepost.vision.faces import Embedding, FaceEngine, FaceFinding, QualityGates
from gatepost.vision.images import BadImage, decode_rgb

__all__ = ["Enrolment", "FaceService", "Photo"]


@dataclass(frozen=True, repr=False)
class Photo:
    data: bytes
    filename: str = "photo"

    def __repr__(self) -> str:
        return f"Photo({self.filename!r}, {len(self.data)} bytes)"


@dataclass(frozen=True)
class Enrolment:
    person_id: str
    faces: list[FaceTemplate]
    replaced: int


@dataclass(frozen=True)
class _Stored:
    """What an enrolment's transaction committed, for the in-memory galleries."""

    version: int
    site_id: str | None
    templates: list[FaceTemplate]
    entries: list[GalleryEntry]
    replaced: Removed


class FaceService:
    def __init__(
        self,
        *,
        tx: Transactions,
        clock: Clock,
        settings: FaceSettings,
        media: MediaService,
        engine: Callable[[], FaceEngine],
        galleries: FaceGalleries,
        model: str,
        max_bytes: int,
        max_pixels: int,
    ) -> None:
        self._tx = tx
        self._clock = clock
        self._settings = settings
        self._media = media
        self._engine_factory = engine
        self._model = model
        self._sync = GallerySync(galleries=galleries, model=model)
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
            raise ValidationFailed("send 1-%(max)s photos", field="files", params={"max": limit})
        with self._tx.read() as uow:  # refuse before any image work
            person_in_tenant(uow, principal, person_id)
            _current_consent(uow, principal, person_id)
            photo_days = tenant_of(uow, principal.tenant_id).face_photo_days
        embeddings = [self._enrolment_face(number, photo) for number, photo in enumerate(photos)]
        kept = self._keep_photos(principal, photos, photo_days)
        try:
            stored = self._store_templates(principal, person_id, embeddings, kept, replace=replace)
        except BaseException:
            self._media.delete(tenant_id=principal.tenant_id, media_ids=kept)
            raise
        self._sync.applied(
            tenant_id=principal.tenant_id,
            version=stored.version,
            site_id=stored.site_id,
            added=stored.entries,
            removed=stored.replaced.template_ids,
        )
        return Enrolment(person_id, stored.templates, len(stored.replaced.template_ids))

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
                    kind=MediaKind.FACE_ENROLMENT,
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
    ) -> _Stored:
        now = self._clock.now()
        tenant_id = principal.tenant_id
        with self._tx.write() as uow:
            person = person_in_tenant(uow, principal, person_id)
            consent = _current_consent(uow, principal, person_id)  # still current?
            rotation = uow.ensure_template_rotation(tenant_id, dim=self.engine.dim)
            keys = uow.keys(tenant_id)
            replaced = self._delete_templates(uow, tenant_id, person_id) if replace else Removed()
            templates, sealed, entries = [], [], []
            for number, (finding, embedding) in enumerate(embeddings):
                template = FaceTemplate(
                    tenant_id=tenant_id,
                    id=new_id(),
                    person_id=person_id,
                    model=self._model,
                    key_generation=rotation.generation,
                    quality=round(finding.quality.sharpness, 1),
                    face_width=finding.quality.size,
                    photo_id=kept[number] if kept else None,
                    created_at=now,
                    created_by=principal.actor,
                )
                vector = rotation.protect(embedding)
                templates.append(template)
                sealed.append(seal_template(keys, template, vector))
                entries.append(GalleryEntry(template.id, person_id, vector))
            uow.faces.add(sealed)
            version = uow.tenants.bump_face_gallery_version(tenant_id=tenant_id)
            uow.audit(
                tenant_id,
                AuditRecord(
                    actor=principal.actor,
                    action="face.enrolled",
                    target=f"person:{person_id}",
                    purpose=FACE_CONSENT_PURPOSE,
                    details={
                        "added": str(len(templates)),
                        "replaced": str(len(replaced.template_ids)),
                        "photos_kept": str(len(kept)),
                        "consent": consent.id,
                    },
                ),
            )
        return _Stored(version, person.site_id, templates, entries, replaced)

    def _enrolment_face(self, number: int, photo: Photo) -> tuple[FaceFinding, Embedding]:
        field = f"files[{number}]"
        photo_params = {"number": number + 1, "filename": photo.filename}
        try:
            image = decode_rgb(photo.data, max_bytes=self._max_bytes, max_pixels=self._max_pixels)
        except BadImage as exc:
            raise BadImage(
                "photo %(number)s (%(filename)s): %(problem)s",
                field=field,
                params={**photo_params, "problem": exc.message},
            ) from exc
        faces = self.engine.detect(image)
        if not faces:
            raise ValidationFailed(
                "photo %(number)s (%(filename)s): no face found", field=field, params=photo_params
            )
        if len(faces) > 1:
            raise ValidationFailed(
                "photo %(number)s (%(filename)s): %(count)s faces found; "
                "use a photo of this person alone",
                field=field,
                params={**photo_params, "count": len(faces)},
            )
        problems = self._enrol_gates.problems(faces[0].quality)
        if problems:
            raise ValidationFailed(
                "photo %(number)s (%(filename)s): %(problems)s",
                field=field,
                params={**photo_params, "problems": "; ".join(problems)},
            )
        (embedding,) = self.engine.embed(image, faces)
        return faces[0], embedding

    def templates(self, principal: Principal, person_id: str) -> list[FaceTemplate]:
        with self._tx.read() as uow:
            person_in_tenant(uow, principal, person_id)
            return uow.faces.of_person(tenant_id=principal.tenant_id, person_id=person_id)

    # -- deletion ----------------------------------------------------------------

    def _delete_templates(
        self, uow: UnitOfWork, tenant_id: str, person_id: str, template_id: str | None = None
    ) -> Removed:
        """Delete templates with their kept photos (blobs once ``uow`` has committed)."""
        removed = uow.faces.delete(
            tenant_id=tenant_id, person_id=person_id, template_id=template_id
        )
        self._media.remove(uow, tenant_id=tenant_id, media_ids=removed.photo_ids)
        return removed

    def delete(self, principal: Principal, person_id: str, template_id: str | None = None) -> int:
        """Delete a person's templates (or one); audited. Returns how many went."""
        tenant_id = principal.tenant_id
        with self._tx.write() as uow:
            if template_id is not None:
                # The template first: a foreign or unknown one answers the same 404
                # whichever person id comes with it.
                found = uow.faces.get(tenant_id=tenant_id, template_id=template_id)
                if found is None or found.person_id != person_id:
                    raise NotFound("face template")
            person_in_tenant(uow, principal, person_id)
            removed = self._delete_templates(uow, tenant_id, person_id, template_id)
            version = uow.tenants.bump_face_gallery_version(tenant_id=tenant_id)
            uow.after_commit(
                lambda: self._sync.applied(
                    tenant_id=tenant_id, version=version, site_id=None, removed=removed.template_ids
                )
            )
            uow.audit(
                tenant_id,
                AuditRecord(
                    actor=principal.actor,
                    action="face.deleted",
                    target=f"person:{person_id}",
                    details={"removed": str(len(removed.template_ids))},
                ),
            )
        return len(removed.template_ids)

    def purge(self, uow: UnitOfWork, *, tenant_id: str, person_id: str) -> int:
        """Inside the caller's unit of work (erasure, consent withdrawn): delete the
        person's templates and kept photos; returns how many templates went. The
        galleries here and the photos' blobs follow once ``uow`` has committed."""
        removed = self._delete_templates(uow, tenant_id, person_id)
        if removed.template_ids:
            version = uow.tenants.bump_face_gallery_version(tenant_id=tenant_id)
            uow.after_commit(
                lambda: self._sync.applied(
                    tenant_id=tenant_id, version=version, site_id=None, person_removed=person_id
                )
            )
        return len(removed.template_ids)

    def regroup(self, uow: UnitOfWork, *, tenant_id: str) -> None:
        """A person moved to another site: every process rebuilds the tenant's galleries
        on its next search (the version changes; nothing is applied in place)."""
        uow.tenants.bump_face_gallery_version(tenant_id=tenant_id)

    def renew_templates(self, principal: Principal) -> int:
        """Re-key: a new template key, and every template moved to it without photos
        (ISO/IEC 24745 renewability). Old templates stop matching new probes' space."""
        tenant_id = principal.tenant_id
        dim = self.engine.dim
        with self._tx.write() as uow:
            keys = uow.keys(tenant_id)
            stored = uow.faces.sealed_all(tenant_id=tenant_id, model=self._model)
            old = {
                g: uow.template_rotation(tenant_id, dim=dim, generation=g)
                for g in {s.template.key_generation for s in stored}
            }
            new = uow.add_template_generation(tenant_id, dim=dim)
            moved = 0
            for item in stored:
                rotation = old[item.template.key_generation]
                if rotation is None:
                    continue
                vector = rotation.renew(open_template(keys, item), to=new)
                uow.faces.reseal(
                    tenant_id=tenant_id,
                    template_id=item.template.id,
                    key_generation=new.generation,
                    sealed=seal_template(keys, item.template, vector).sealed,
                )
                moved += 1
            uow.tenants.bump_face_gallery_version(tenant_id=tenant_id)
            uow.audit(
                tenant_id,
                AuditRecord(
                    actor=principal.actor,
                    action="face.templates_renewed",
                    target=f"tenant:{tenant_id}",
                    details={"renewed": str(moved), "generation": str(new.generation)},
                ),
            )
            uow.after_commit(lambda: self._sync.galleries.drop_tenant(tenant_id))
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
        with self._tx.read() as uow:
            return uow.faces.enrolment_counts(tenant_id=principal.tenant_id)

    def photo_days(self, principal: Principal) -> int:
        """Days enrolment photos are kept (sealed); 0: they are discarded."""
        with self._tx.read() as uow:
            return tenant_of(uow, principal.tenant_id).face_photo_days

    def policy(self, principal: Principal) -> OpenSetPolicy:
        with self._tx.read() as uow:
            return self.policy_of(tenant_of(uow, principal.tenant_id))

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
        tenant_id = principal.tenant_id
        with self._tx.write() as uow:
            before = tenant_of(uow, tenant_id)
            after = replace(
                before,
                face_target_fmr=target_fmr,
                face_max_fpir=max_fpir,
                face_photo_days=before.face_photo_days if photo_days is None else photo_days,
            )
            uow.tenants.set_face_policy(
                tenant_id=tenant_id,
                target_fmr=after.face_target_fmr,
                max_fpir=after.face_max_fpir,
                photo_days=after.face_photo_days,
            )
            uow.audit(
                tenant_id,
                AuditRecord(
                    actor=principal.actor,
                    action="face.policy_changed",
                    target=f"tenant:{tenant_id}",
                    details={"before": _policy_text(before), "after": _policy_text(after)},
                ),
            )
        return self.policy_of(after)


def _current_consent(uow: UnitOfWork, principal: Principal, person_id: str) -> Consent:
    consent = uow.persons.current_consent(
        tenant_id=principal.tenant_id, person_id=person_id, purpose=FACE_CONSENT_PURPOSE
    )
    if consent is None:
        raise Conflict(
            "this person has no current consent for %(purpose)r: record it before enrolling a face",
            params={"purpose": FACE_CONSENT_PURPOSE},
        )
    return consent


def _policy_text(tenant: Tenant) -> str:
    return (
        f"target_fmr={tenant.face_target_fmr:g} max_fpir={tenant.face_max_fpir:g} "
        f"photo_days={tenant.face_photo_days}"
    )
