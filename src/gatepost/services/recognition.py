"""RecognitionService: who is in this frame (1:N), and is it the person claimed (1:1).

The largest face in a probe frame that passes the recognition gate is embedded,
protected with the tenant's active template rotation and searched in the galleries of
the caller's site (a device: its own site, as its principal carries it). The open-set rule of
``gatepost.domain.faces`` turns the nearest distance into match, no match or "second
factor required", using the tenant's target false-match rate and the gallery size.
Nothing is stored: not the frame, not the embedding.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from gatepost.domain.faces import FaceDecision, decide
from gatepost.errors import Conflict
from gatepost.matching.faces import Candidate
from gatepost.security.policy import Principal, PrincipalKind
from gatepost.services.face_galleries import open_template
from gatepost.services.faces import FaceService
from gatepost.services.persons import person_in_tenant
from gatepost.services.tenants import tenant_of
from gatepost.services.uow import Transactions
from gatepost.settings import FaceSettings
from gatepost.vision.faces import Embedding, FaceFinding, QualityGates, largest
from gatepost.vision.images import decode_rgb

__all__ = ["Recognition", "RecognitionService"]


@dataclass(frozen=True)
class Recognition:
    """What a probe frame gave: the face used (if any), candidates and the decision."""

    face: FaceFinding | None
    faces_found: int
    candidates: list[Candidate]
    decision: FaceDecision
    person_id: str | None = None


class RecognitionService:
    def __init__(
        self,
        *,
        tx: Transactions,
        faces: FaceService,
        settings: FaceSettings,
        max_bytes: int,
        max_pixels: int,
    ) -> None:
        self._tx = tx
        self._faces = faces
        self._max_bytes = max_bytes
        self._max_pixels = max_pixels
        self._probe_gates = QualityGates(
            min_size=settings.probe_min_size, min_sharpness=0.0, min_pose=0.0
        )

    def identify(
        self, principal: Principal, data: bytes, *, site_id: str | None = None
    ) -> Recognition:
        """1:N: who is this? Devices search their own site's galleries (``site_id`` is
        for users only: a device's comes with its principal)."""
        if principal.kind is PrincipalKind.DEVICE:
            site_id = principal.site_id
        face, found, embedding = self._probe(data)
        with self._tx.read() as uow:
            tenant = tenant_of(uow, principal.tenant_id)
            policy = self._faces.policy_of(tenant)
            galleries = self._faces.sync.current(uow, tenant=tenant, site_id=site_id)
            rotation = uow.template_rotation(tenant.id, dim=self._faces.engine.dim)
        size = galleries.person_count
        if embedding is None or rotation is None or size == 0:
            reason = "no face found" if embedding is None else "the gallery is empty"
            decision = decide(None, gallery_size=size, policy=policy)
            return Recognition(face, found, [], _with_reason(decision, reason))
        probe = rotation.protect(embedding)
        candidates = sorted(
            (c for g in galleries.galleries for c in g.search(probe, k=5)),
            key=lambda c: c.distance,
        )[:5]
        decision = decide(candidates[0].distance, gallery_size=size, policy=policy)
        matched = candidates[0].person_id if decision.outcome != "no_match" else None
        return Recognition(face, found, candidates, decision, person_id=matched)

    def verify(self, principal: Principal, person_id: str, data: bytes) -> Recognition:
        """1:1: is this the person claimed? (FPIR of one comparison is the FMR.)"""
        with self._tx.read() as uow:  # an unknown person: 404 before any image work
            person_in_tenant(uow, principal, person_id)
        face, found, embedding = self._probe(data)
        with self._tx.read() as uow:
            tenant = tenant_of(uow, principal.tenant_id)
            policy = self._faces.policy_of(tenant)
            stored = uow.faces.sealed_of_person(tenant_id=tenant.id, person_id=person_id)
            rotation = uow.template_rotation(tenant.id, dim=self._faces.engine.dim)
            usable = [
                item
                for item in stored
                if rotation is not None and item.template.key_generation == rotation.generation
            ]
            keys = uow.keys(tenant.id) if usable else None
            templates = [
                (item.template.id, open_template(keys, item)) for item in usable if keys is not None
            ]
        if not templates:
            raise Conflict("this person has no enrolled face")
        if embedding is None or rotation is None:
            return Recognition(face, found, [], decide(None, gallery_size=1, policy=policy))
        probe = rotation.protect(embedding)
        best = min(
            (
                Candidate(person_id, template_id, float(((t - probe) ** 2).sum() ** 0.5))
                for template_id, t in templates
            ),
            key=lambda c: c.distance,
        )
        decision = decide(best.distance, gallery_size=1, policy=policy)
        matched = person_id if decision.outcome == "match" else None
        return Recognition(face, found, [best], decision, person_id=matched)

    def _probe(self, data: bytes) -> tuple[FaceFinding | None, int, Embedding | None]:
        image = decode_rgb(data, max_bytes=self._max_bytes, max_pixels=self._max_pixels)
        faces = [
            f for f in self._faces.engine.detect(image) if not self._probe_gates.problems(f.quality)
        ]
        face = largest(faces)
        if face is None:
            return None, 0, None
        (embedding,) = self._faces.engine.embed(image, [face])
        return face, len(faces), embedding


def _with_reason(decision: FaceDecision, reason: str) -> FaceDecision:
    return replace(decision, reason=reason)
