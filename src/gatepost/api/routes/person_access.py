"""A person's access: the levels they hold, their access flags (block list, watch list,
first-in privilege, validity) and their credentials (cards, PINs, QR codes; a value goes
in a request body, never in a URL, and never comes back, but a new QR code's text)."""

from __future__ import annotations

from fastapi import APIRouter

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.api.routes.access_rules import changes_of
from gatepost.api.routes.common import IdPath
from gatepost.api.schemas.access import (
    CredentialCreate,
    CredentialIssued,
    CredentialPublic,
    LevelGrant,
    PersonAccessLevelPublic,
    PersonAccessPublic,
    PersonAccessUpdate,
)
from gatepost.api.schemas.base import ERROR_RESPONSES
from gatepost.security.permissions import Permission
from gatepost.services.credentials import CredentialDraft

__all__ = ["router"]

router = APIRouter(
    route_class=GuardedRoute,
    prefix="/api/v1/persons/{person_id}",
    tags=["person access"],
    responses=ERROR_RESPONSES,
)


# -- access levels held ----------------------------------------------------------------


@router.get("/access-levels", dependencies=[require(Permission.PERSON_ACCESS_READ)])
def list_person_levels(
    person_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> list[PersonAccessLevelPublic]:
    held = container.access_levels.assignments(principal, person_id)
    return [PersonAccessLevelPublic.of(assignment) for assignment in held]


@router.put(
    "/access-levels/{access_level_id}", dependencies=[require(Permission.PERSON_ACCESS_WRITE)]
)
def grant_level(
    person_id: IdPath,
    access_level_id: IdPath,
    body: LevelGrant,
    principal: CurrentPrincipal,
    container: ContainerDep,
) -> PersonAccessLevelPublic:
    """Give the person the level, or change the window in which they hold it."""
    held = container.access_levels.assign(
        principal,
        person_id,
        access_level_id,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
    )
    return PersonAccessLevelPublic.of(held)


@router.delete(
    "/access-levels/{access_level_id}",
    status_code=204,
    dependencies=[require(Permission.PERSON_ACCESS_WRITE)],
)
def remove_level(
    person_id: IdPath, access_level_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> None:
    container.access_levels.unassign(principal, person_id, access_level_id)


# -- access flags ------------------------------------------------------------------------


@router.get("/access", dependencies=[require(Permission.PERSON_ACCESS_READ)])
def get_person_access(
    person_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> PersonAccessPublic:
    return PersonAccessPublic.of(container.access_levels.person_facts(principal, person_id))


@router.patch("/access", dependencies=[require(Permission.PERSON_ACCESS_WRITE)])
def update_person_access(
    person_id: IdPath,
    body: PersonAccessUpdate,
    principal: CurrentPrincipal,
    container: ContainerDep,
) -> PersonAccessPublic:
    """A blocked person is denied everywhere with an alert; a watch-listed one is decided
    as usual and raises an alert; ``valid_from``/``valid_until`` bound every access."""
    changes = changes_of(body, nullable=frozenset({"valid_from", "valid_until"}))
    facts = container.access_levels.set_person_flags(principal, person_id, changes)
    return PersonAccessPublic.of(facts)


# -- credentials ---------------------------------------------------------------------------


@router.get("/credentials", dependencies=[require(Permission.CREDENTIALS_READ)])
def list_credentials(
    person_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> list[CredentialPublic]:
    """The person's credentials, revoked ones included; never their values."""
    credentials = container.credentials.of_person(principal, person_id)
    return [CredentialPublic.model_validate(c) for c in credentials]


@router.post("/credentials", status_code=201, dependencies=[require(Permission.CREDENTIALS_WRITE)])
def issue_credential(
    person_id: IdPath, body: CredentialCreate, principal: CurrentPrincipal, container: ContainerDep
) -> CredentialIssued:
    """Issue a card (its number), a PIN (4-12 digits, unique in the tenant; ``duress``
    makes it a duress PIN) or a QR code (generated; its text is returned this once)."""
    draft = CredentialDraft(
        kind=body.kind,
        value=body.value,
        duress=body.duress,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
    )
    issued = container.credentials.issue(principal, person_id, draft)
    public = CredentialPublic.model_validate(issued.credential)
    return CredentialIssued(**public.model_dump(), qr_text=issued.qr_text)


@router.post(
    "/credentials/{credential_id}/revoke", dependencies=[require(Permission.CREDENTIALS_WRITE)]
)
def revoke_credential(
    person_id: IdPath, credential_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> CredentialPublic:
    """Revoke the credential at once (again: no change); its value may be issued again."""
    revoked = container.credentials.revoke(principal, person_id, credential_id)
    return CredentialPublic.model_validate(revoked)
