"""Adding, editing and erasing a person (the list and the detail page are
:mod:`gatepost.web.views.people`).

Editing uses the add form (``pages/person_new.html``); masked values are never filled
in, so an empty identity number or phone keeps the recorded one. Erasing first shows
what goes (``ErasureService.preview``) and needs the person's name typed.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.domain.identities import IdentityKind
from gatepost.domain.persons import PersonKind
from gatepost.errors import Conflict, ValidationFailed
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.services.persons import PersonDraft, PersonView
from gatepost.web.forms import FormText, field_errors, sentence
from gatepost.web.lookups import site_names
from gatepost.web.rendering import render

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

_PERSON_FIELDS = {"name", "kind", "site_id", "identity_kind", "identity_number", "phone", "notes"}


def _person_form(
    request: Request,
    principal: Principal,
    container: Container,
    *,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    person: PersonView | None = None,
) -> Response:
    """The add form, or with ``person`` the edit form (masked values not filled in)."""
    context = {
        "active": "people",
        "person": person,
        "form": form,
        "errors": errors or {},
        "kinds": [kind.value for kind in PersonKind],
        "identity_kinds": [kind.value for kind in IdentityKind],
        "sites": site_names(container, principal),
    }
    return render(request, "pages/person_new.html", context, status_code=status_code)


def _refused(
    request: Request,
    principal: Principal,
    container: Container,
    exc: ValidationFailed | Conflict,
    *,
    form: dict[str, str],
    person: PersonView | None = None,
) -> Response:
    """The add or edit form again with the refusal next to its field: 422 for invalid
    input, 409 for an identity number another person already has."""
    if isinstance(exc, Conflict):
        errors, status = {"identity_number": sentence(exc)}, 409
    else:
        errors, status = field_errors(exc, known=_PERSON_FIELDS), 422
    return _person_form(
        request, principal, container, form=form, errors=errors, status_code=status, person=person
    )


@router.get("/people/new", dependencies=[require(Permission.PERSONS_WRITE)])
def new_person(request: Request, principal: CurrentPrincipal, container: ContainerDep) -> Response:
    form = {"kind": PersonKind.EMPLOYEE.value, "identity_kind": IdentityKind.CN_RESIDENT.value}
    return _person_form(request, principal, container, form=form)


@router.post("/people", dependencies=[require(Permission.PERSONS_WRITE)])
def create_person(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    name: FormText = "",
    kind: FormText = "",
    site_id: FormText = "",
    identity_kind: FormText = "",
    identity_number: FormText = "",
    phone: FormText = "",
    notes: FormText = "",
) -> Response:
    form = {
        "name": name,
        "kind": kind,
        "site_id": site_id,
        "identity_kind": identity_kind,
        "identity_number": identity_number,
        "phone": phone,
        "notes": notes,
    }
    draft = PersonDraft(
        name=name,
        kind=kind or PersonKind.EMPLOYEE.value,
        site_id=site_id or None,
        identity_kind=identity_kind or None,
        identity_number=identity_number.strip() or None,
        phone=phone.strip() or None,
        notes=notes,
    )
    try:
        person = container.persons.create(principal, draft)
    except (ValidationFailed, Conflict) as exc:
        return _refused(request, principal, container, exc, form=form)
    return RedirectResponse(f"/ui/people/{person.id}?notice=person_created", status_code=303)


def _edit_form(person: PersonView) -> dict[str, str]:
    return {
        "name": person.name,
        "kind": person.kind.value,
        "site_id": person.site_id or "",
        "identity_kind": (person.identity_kind or IdentityKind.CN_RESIDENT).value,
        "notes": person.notes or "",
    }


@router.get("/people/{person_id}/edit", dependencies=[require(Permission.PERSONS_WRITE)])
def edit_person(
    request: Request, person_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    person = container.persons.get(principal, person_id)
    return _person_form(request, principal, container, form=_edit_form(person), person=person)


@router.post("/people/{person_id}/edit", dependencies=[require(Permission.PERSONS_WRITE)])
def save_person(
    request: Request,
    person_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    name: FormText = "",
    kind: FormText = "",
    site_id: FormText = "",
    identity_kind: FormText = "",
    identity_number: FormText = "",
    phone: FormText = "",
    notes: FormText = "",
    clear_identity: FormText = "",
    clear_phone: FormText = "",
) -> Response:
    """Save the edit form. An empty identity number or phone keeps the recorded one
    (they are never filled in, being masked); the clear boxes remove them."""
    person = container.persons.get(principal, person_id)
    form = {
        "name": name,
        "kind": kind,
        "site_id": site_id,
        "identity_kind": identity_kind,
        "identity_number": identity_number,
        "phone": phone,
        "notes": notes,
        "clear_identity": clear_identity,
        "clear_phone": clear_phone,
    }
    changes: dict[str, object] = {
        "name": name,
        "kind": kind or PersonKind.EMPLOYEE.value,
        "site_id": site_id or None,
        "notes": notes,
    }
    if identity_number.strip():
        changes |= {"identity_kind": identity_kind or None, "identity_number": identity_number}
    elif clear_identity:
        changes |= {"identity_kind": None, "identity_number": None}
    if phone.strip():
        changes["phone"] = phone.strip()
    elif clear_phone:
        changes["phone"] = None
    try:
        container.persons.update(principal, person_id, changes)
    except (ValidationFailed, Conflict) as exc:
        return _refused(request, principal, container, exc, form=form, person=person)
    return RedirectResponse(f"/ui/people/{person_id}?notice=person_saved", status_code=303)


def _erase_page(
    request: Request,
    principal: Principal,
    container: Container,
    person: PersonView,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "active": "people",
        "person": person,
        "preview": container.erasure.preview(principal, person.id),
        "error": error,
    }
    return render(request, "pages/person_erase.html", context, status_code=status_code)


@router.get("/people/{person_id}/erase", dependencies=[require(Permission.PERSONS_WRITE)])
def erase_person_page(
    request: Request, person_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    """What erasing the person removes, and the typed confirmation."""
    person = container.persons.get(principal, person_id)
    return _erase_page(request, principal, container, person)


@router.post("/people/{person_id}/erase", dependencies=[require(Permission.PERSONS_WRITE)])
def erase_person(
    request: Request,
    person_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    confirm_name: FormText = "",
) -> Response:
    """Erase once the typed name matches; a mismatch re-renders the page (422)."""
    try:
        container.erasure.erase_confirmed(principal, person_id, typed_name=confirm_name)
    except ValidationFailed as exc:
        person = container.persons.get(principal, person_id)
        return _erase_page(
            request, principal, container, person, error=sentence(exc), status_code=422
        )
    return RedirectResponse("/ui/people?notice=person_erased", status_code=303)
