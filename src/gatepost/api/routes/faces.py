"""Faces: enrolment (consent-gated), templates, 1:N identify, 1:1 verify, tenant policy."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.api.routes.common import IdempotencyKeyHeader, IdPath, read_upload
from gatepost.api.schemas.base import ERROR_RESPONSES
from gatepost.api.schemas.resources import (
    AccessDecisionPublic,
    CandidatePublic,
    DeletedPublic,
    FaceBoxPublic,
    FaceEnrolmentPublic,
    FacePolicyPublic,
    FacePolicyUpdate,
    FaceQualityPublic,
    FaceTemplatePublic,
    RecognitionPublic,
    RenewedPublic,
)
from gatepost.domain.faces import OpenSetPolicy, face_only_limit
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal, PrincipalKind
from gatepost.services.arrivals import FrameKey
from gatepost.services.container import Container
from gatepost.services.faces import Photo
from gatepost.services.recognition import Recognition

router = APIRouter(
    route_class=GuardedRoute, prefix="/api/v1", tags=["faces"], responses=ERROR_RESPONSES
)

ImageFile = Annotated[UploadFile, File(description="A JPEG, PNG or WebP frame.")]


def _recognition(result: Recognition, principal: Principal) -> RecognitionPublic:
    decision = result.decision
    face = result.face
    return RecognitionPublic(
        decision=decision.outcome.value,
        reason=decision.reason,
        person_id=result.person_id,
        distance=None if decision.distance is None else round(decision.distance, 4),
        threshold=round(decision.threshold, 4),
        gallery_size=decision.gallery_size,
        fpir=decision.fpir,
        faces_found=result.faces_found,
        face=None
        if face is None
        else FaceBoxPublic(
            box=face.box.as_list(), quality=FaceQualityPublic(**face.quality.as_dict())
        ),
        candidates=[]
        if principal.kind is PrincipalKind.DEVICE
        else [
            CandidatePublic(person_id=c.person_id, distance=round(c.distance, 4))
            for c in result.candidates[:3]
        ],
    )


def _policy(container: Container, principal: Principal, policy: OpenSetPolicy) -> FacePolicyPublic:
    return FacePolicyPublic(
        photo_days=container.faces.photo_days(principal),
        model=container.faces.model,
        target_fmr=policy.target_fmr,
        max_fpir=policy.max_fpir,
        threshold=round(policy.threshold, 4),
        face_only_up_to=face_only_limit(policy),
    )


@router.post(
    "/persons/{person_id}/faces",
    status_code=201,
    dependencies=[require(Permission.FACES_ENROL)],
)
def enrol_face(
    person_id: IdPath,
    principal: CurrentPrincipal,
    container: ContainerDep,
    files: Annotated[list[UploadFile], File(description="1-5 photos of this person alone.")],
    replace: Annotated[bool, Query(description="Delete the person's earlier templates.")] = False,
) -> FaceEnrolmentPublic:
    """Enrol a face from photos; needs a current `biometric_face` consent (else 409).

    Only protected templates are stored; the photos are discarded.
    """
    photos = [
        Photo(read_upload(container, f), f.filename or f"photo {n + 1}")
        for n, f in enumerate(files)
    ]
    enrolment = container.faces.enrol(principal, person_id, photos, replace=replace)
    return FaceEnrolmentPublic.model_validate(enrolment)


@router.get("/persons/{person_id}/faces", dependencies=[require(Permission.PERSONS_READ)])
def list_faces(
    person_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> list[FaceTemplatePublic]:
    return [
        FaceTemplatePublic.model_validate(t)
        for t in container.faces.templates(principal, person_id)
    ]


@router.delete("/persons/{person_id}/faces", dependencies=[require(Permission.FACES_ENROL)])
def delete_faces(
    person_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> DeletedPublic:
    return DeletedPublic(deleted=container.faces.delete(principal, person_id))


@router.delete(
    "/persons/{person_id}/faces/{template_id}", dependencies=[require(Permission.FACES_ENROL)]
)
def delete_face(
    person_id: IdPath, template_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> DeletedPublic:
    return DeletedPublic(deleted=container.faces.delete(principal, person_id, template_id))


@router.post("/faces/identify", dependencies=[require(Permission.FACES_IDENTIFY)])
def identify_face(
    principal: CurrentPrincipal,
    container: ContainerDep,
    file: ImageFile,
    site_id: Annotated[
        str | None,
        Query(pattern=r"^[0-9a-f]{32}$", description="Search this site's gallery too."),
    ] = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> RecognitionPublic:
    """1:N: who is in this frame? Devices search their own site, and their frame is an
    arrival at their door: decided by the access rules (`access`) and recorded as an
    access event (the frame and the face are not stored). A user's test stores nothing.
    A device's `Idempotency-Key` stores the frame once: sent again, it is answered with
    the stored decision and recognition (`access.duplicate`; no face box)."""
    arrival = container.arrivals.face_frame(
        principal,
        read_upload(container, file),
        site_id=site_id,
        key=FrameKey(idempotency_key) if idempotency_key else None,
    )
    public = _recognition(arrival.recognition, principal)
    if arrival.decision is None:
        return public
    access = AccessDecisionPublic(
        outcome=arrival.decision.outcome,
        reasons=list(arrival.decision.reasons),
        event_id=arrival.event_id,
        duplicate=arrival.duplicate,
    )
    return public.model_copy(update={"access": access})


@router.post("/persons/{person_id}/faces/verify", dependencies=[require(Permission.FACES_IDENTIFY)])
def verify_face(
    person_id: IdPath, principal: CurrentPrincipal, container: ContainerDep, file: ImageFile
) -> RecognitionPublic:
    """1:1: is the face in this frame the person claimed?"""
    result = container.recognition.verify(principal, person_id, read_upload(container, file))
    return _recognition(result, principal)


@router.get("/faces/policy", dependencies=[require(Permission.TENANT_READ)])
def get_face_policy(principal: CurrentPrincipal, container: ContainerDep) -> FacePolicyPublic:
    return _policy(container, principal, container.faces.policy(principal))


@router.put("/faces/policy", dependencies=[require(Permission.TENANT_SETTINGS_WRITE)])
def set_face_policy(
    body: FacePolicyUpdate, principal: CurrentPrincipal, container: ContainerDep
) -> FacePolicyPublic:
    """Set the target false-match rate and the FPIR limit for face-only decisions."""
    policy = container.faces.set_policy(
        principal, target_fmr=body.target_fmr, max_fpir=body.max_fpir, photo_days=body.photo_days
    )
    return _policy(container, principal, policy)


@router.post("/faces/renew", dependencies=[require(Permission.KEYS_MANAGE)])
def renew_face_templates(principal: CurrentPrincipal, container: ContainerDep) -> RenewedPublic:
    """Re-key every face template under a new template key, without new photos."""
    return RenewedPublic(renewed=container.faces.renew_templates(principal))
