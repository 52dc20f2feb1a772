"""Persons: CRUD with masked identity numbers, reveal-with-reason, consents."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.api.routes.common import (
    CursorQuery,
    IdPath,
    LimitQuery,
    refuse_personal_query,
)
from gatepost.api.schemas.base import ERROR_RESPONSES, PagePublic
from gatepost.api.schemas.resources import (
    ConsentCreate,
    ConsentPublic,
    PersonCreate,
    PersonPublic,
    PersonSearch,
    PersonUpdate,
    RevealedPublic,
    RevealRequest,
)
from gatepost.security.permissions import Permission
from gatepost.services.persons import PersonDraft

router = APIRouter(
    route_class=GuardedRoute, prefix="/api/v1/persons", tags=["persons"], responses=ERROR_RESPONSES
)

#: Query parameters the list refuses (the search body takes them).
PERSONAL_QUERY = ("name", "phone", "identity_number", "identity_kind")


@router.get("", dependencies=[require(Permission.PERSONS_READ)])
def list_persons(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    site_id: Annotated[str | None, Query(pattern=r"^[0-9a-f]{32}$")] = None,
) -> PagePublic[PersonPublic]:
    """A page of the tenant's people. Searching by name, phone or identity number is
    ``POST /api/v1/persons/search``: personal values never go in a URL."""
    refuse_personal_query(request, PERSONAL_QUERY, search="POST /api/v1/persons/search")
    page = container.persons.list(principal, limit=limit, after=cursor, site_id=site_id)
    return PagePublic.of(page, PersonPublic)


@router.post("/search", dependencies=[require(Permission.PERSONS_READ)])
def search_persons(
    body: PersonSearch, principal: CurrentPrincipal, container: ContainerDep
) -> PagePublic[PersonPublic]:
    """The same exact-match search as the list, with the terms in the body (kept out of
    URLs, browser history and access logs)."""
    page = container.persons.list(
        principal,
        limit=body.limit,
        after=body.cursor,
        site_id=body.site_id,
        name=body.name,
        phone=body.phone,
        identity_number=body.identity_number,
        identity_kind=body.identity_kind,
    )
    return PagePublic.of(page, PersonPublic)


@router.post("", status_code=201, dependencies=[require(Permission.PERSONS_WRITE)])
def create_person(
    body: PersonCreate, principal: CurrentPrincipal, container: ContainerDep
) -> PersonPublic:
    view = container.persons.create(principal, PersonDraft(**body.model_dump()))
    return PersonPublic.model_validate(view)


@router.get("/{person_id}", dependencies=[require(Permission.PERSONS_READ)])
def get_person(
    person_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> PersonPublic:
    return PersonPublic.model_validate(container.persons.get(principal, person_id))


@router.patch("/{person_id}", dependencies=[require(Permission.PERSONS_WRITE)])
def update_person(
    person_id: IdPath, body: PersonUpdate, principal: CurrentPrincipal, container: ContainerDep
) -> PersonPublic:
    changes = body.model_dump(exclude_unset=True)
    if changes.get("name", "") is None:
        changes.pop("name")
    view = container.persons.update(principal, person_id, changes)
    return PersonPublic.model_validate(view)


@router.delete("/{person_id}", status_code=204, dependencies=[require(Permission.PERSONS_WRITE)])
def delete_person(person_id: IdPath, principal: CurrentPrincipal, container: ContainerDep) -> None:
    container.persons.delete(principal, person_id)


@router.post("/{person_id}/reveal", dependencies=[require(Permission.PERSONS_REVEAL)])
def reveal_identity(
    person_id: IdPath, body: RevealRequest, principal: CurrentPrincipal, container: ContainerDep
) -> RevealedPublic:
    """The full identity number and phone; the reason is written to the audit log."""
    revealed = container.persons.reveal(principal, person_id, reason=body.reason)
    return RevealedPublic.model_validate(revealed)


@router.get("/{person_id}/consents", dependencies=[require(Permission.PERSONS_READ)])
def list_consents(
    person_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> list[ConsentPublic]:
    return [
        ConsentPublic.model_validate(c) for c in container.consents.of_person(principal, person_id)
    ]


@router.post(
    "/{person_id}/consents", status_code=201, dependencies=[require(Permission.PERSONS_WRITE)]
)
def record_consent(
    person_id: IdPath, body: ConsentCreate, principal: CurrentPrincipal, container: ContainerDep
) -> ConsentPublic:
    consent = container.consents.record(
        principal, person_id, purpose=body.purpose, notice_version=body.notice_version
    )
    return ConsentPublic.model_validate(consent)


@router.post(
    "/{person_id}/consents/{consent_id}/withdraw", dependencies=[require(Permission.PERSONS_WRITE)]
)
def withdraw_consent(
    person_id: IdPath, consent_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> ConsentPublic:
    consent = container.consents.withdraw(principal, person_id, consent_id)
    return ConsentPublic.model_validate(consent)
