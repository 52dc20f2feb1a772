"""People: search and list, detail with reveal-with-reason and the consent history
(adding, editing and erasing a person: :mod:`gatepost.web.views.person_edit`).

Identity numbers and phones only ever reach the page masked. Revealing one posts a
reason to ``/ui/people/{id}/reveal``; the service checks it and writes the audit entry,
and the answer replaces the masked value in place (htmx) or re-renders the page.
The detail page also carries the face card and the recognition test, whose actions
live in :mod:`gatepost.web.views.faces`; withdrawing a consent is here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.domain.faces import FACE_CONSENT_PURPOSE
from gatepost.domain.identities import IdentityKind
from gatepost.errors import ValidationFailed
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.services.pages import Page
from gatepost.services.persons import PersonView
from gatepost.web.enrolments import card_context, current_consent
from gatepost.web.errors import is_htmx
from gatepost.web.forms import MAX_LIMIT, FormText, optional, page_limit, sentence
from gatepost.web.i18n import N_
from gatepost.web.lookups import site_names
from gatepost.web.person_levels import access_context
from gatepost.web.rendering import can, render

__all__ = ["person_page", "router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

SEARCH_FIELDS = {"name": N_("Name"), "phone": N_("Phone"), "identity": N_("Identity number")}


def _search(container: Container, principal: Principal, *, by: str, q: str) -> Page[PersonView]:
    if by == "name":
        return container.persons.list(principal, limit=MAX_LIMIT, after=None, name=q)
    if by == "phone":
        return container.persons.list(principal, limit=MAX_LIMIT, after=None, phone=q)
    # Identity numbers are unique, so there is at most one match.
    failures: list[ValidationFailed] = []
    for kind in IdentityKind:
        try:
            page = container.persons.list(
                principal, limit=MAX_LIMIT, after=None, identity_number=q, identity_kind=kind.value
            )
        except ValidationFailed as exc:
            failures.append(exc)
            continue
        if page.items:
            return page
    if len(failures) == len(IdentityKind):
        raise failures[0]
    return Page([], None, MAX_LIMIT)


def _people_page(
    request: Request,
    principal: Principal,
    page: Page[PersonView],
    *,
    by: str = "name",
    q: str = "",
    error: str | None = None,
) -> Response:
    context = {
        "active": "people",
        "page": page,
        "by": by,
        "q": q,
        "search_fields": SEARCH_FIELDS,
        "error": error,
        "can_write": can(principal, Permission.PERSONS_WRITE),
    }
    return render(request, "pages/people.html", context)


@router.get("/people", dependencies=[require(Permission.PERSONS_READ)])
def people(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    cursor: str = "",
    limit: str = "",
) -> Response:
    page = container.persons.list(principal, limit=page_limit(limit), after=optional(cursor, 64))
    return _people_page(request, principal, page)


@router.post("/people/search", dependencies=[require(Permission.PERSONS_READ)])
def search_people(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    by: FormText = "name",
    q: FormText = "",
) -> Response:
    """Exact search; a POST so names and numbers stay out of URLs, history and logs."""
    by = by if by in SEARCH_FIELDS else "name"
    query = optional(q)
    if query is None:
        return RedirectResponse("/ui/people", status_code=303)
    try:
        page = _search(container, principal, by=by, q=query)
    except ValidationFailed as exc:
        empty: Page[PersonView] = Page([], None, MAX_LIMIT)
        return _people_page(request, principal, empty, by=by, q=query, error=sentence(exc))
    return _people_page(request, principal, page, by=by, q=query)


def person_page(
    request: Request,
    principal: Principal,
    container: Container,
    person: PersonView,
    *,
    revealed: dict[str, str | None] | None = None,
    errors: dict[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    """The detail page; ``extra`` overrides the face card's and recognition test's
    context after a no-JavaScript post (see :func:`gatepost.web.enrolments.card_context`)."""
    sites = site_names(container, principal)
    history = container.consents.history(principal, person.id)
    consents = [record.consent for record in history]
    context: dict[str, Any] = {
        "active": "people",
        "person": person,
        "site_name": sites.get(person.site_id or "", ""),
        "consents": consents,
        "consent_history": history,
        "can_reveal": can(principal, Permission.PERSONS_REVEAL),
        "can_write": can(principal, Permission.PERSONS_WRITE),
        "can_identify": can(principal, Permission.FACES_TEST),
        "revealed": revealed or {},
        "errors": errors or {},
        "test": None,
        "face_purpose": FACE_CONSENT_PURPOSE,
    }
    context |= card_context(container, principal, person, consents=consents)
    context |= access_context(container, principal, person.id)
    context |= extra or {}
    return render(request, "pages/person.html", context, status_code=status_code)


@router.get("/people/{person_id}", dependencies=[require(Permission.PERSONS_READ)])
def person_detail(
    request: Request, person_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    return person_page(request, principal, container, container.persons.get(principal, person_id))


@router.post("/people/{person_id}/reveal", dependencies=[require(Permission.PERSONS_REVEAL)])
def reveal(
    request: Request,
    person_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    field: str = "identity",
    reason: FormText = "",
) -> Response:
    """Show one masked value in full; a refused reason re-renders it masked with the error."""
    field = "phone" if field == "phone" else "identity"
    try:
        shown = container.persons.reveal(principal, person_id, reason=reason)
    except ValidationFailed as exc:
        error = sentence(exc)
        person = container.persons.get(principal, person_id)
        if not is_htmx(request):
            return person_page(request, principal, container, person, errors={field: error})
        masked = person.phone_masked if field == "phone" else person.identity_masked
        refused: dict[str, object] = {
            "person_id": person_id,
            "field": field,
            "value": masked,
            "error": error,
        }
        return render(request, "partials/person_reveal.html", refused)
    value = shown.phone if field == "phone" else shown.identity_number
    if not is_htmx(request):
        person = container.persons.get(principal, person_id)
        return person_page(request, principal, container, person, revealed={field: value})
    shown_context: dict[str, object] = {
        "person_id": person_id,
        "field": field,
        "value": value,
        "shown": True,
    }
    return render(request, "partials/person_reveal.html", shown_context)


@router.post(
    "/people/{person_id}/consents/{consent_id}/withdraw",
    dependencies=[require(Permission.PERSONS_WRITE)],
)
def withdraw_consent(
    person_id: str, consent_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    """Withdraw a consent; the last ``biometric_face`` one takes the face templates along."""
    withdrawn = container.consents.withdraw(principal, person_id, consent_id)
    notice = "consent_withdrawn"
    if withdrawn.purpose == FACE_CONSENT_PURPOSE:
        if current_consent(container.consents.of_person(principal, person_id)) is None:
            notice = "face_consent_withdrawn"
    return RedirectResponse(f"/ui/people/{person_id}?notice={notice}", status_code=303)
