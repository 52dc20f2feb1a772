"""Faces on the person page: consent, enrolment, deleting templates, a recognition test.

Enrolment needs a current ``biometric_face`` consent, which someone who may edit people
records here against a privacy notice version. Only protected templates are kept; the
photos are discarded. The recognition test runs the 1:N search a camera at the
person's site would run, and stores nothing (see :mod:`gatepost.web.recognitions`).

With htmx, enrolling and deleting answer with the face card and the test with its
result fragment; without JavaScript they redirect back to the page (or re-render it
with the error). A refusal by the service (a bad image, no face or several faces, no
consent) is shown next to the form that caused it, never as an error page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import (
    ContainerDep,
    CurrentPrincipal,
    GuardedRoute,
    require,
)
from gatepost.api.routes.common import read_upload
from gatepost.domain.faces import FACE_CONSENT_PURPOSE
from gatepost.errors import Conflict, ValidationFailed
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.services.faces import Photo
from gatepost.services.persons import PersonView
from gatepost.web.enrolments import card_context
from gatepost.web.errors import is_htmx
from gatepost.web.forms import FormText, field_errors, sentence
from gatepost.web.i18n import N_, gettext, ngettext
from gatepost.web.recognitions import Frame, chosen, recognition_test
from gatepost.web.rendering import render
from gatepost.web.views.people import person_page

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

_CONSENT_FIELDS = {"notice_version", "agreed"}
_NOT_AGREED = N_("Confirm that the person has read this notice and agrees.")

Photos = Annotated[list[UploadFile], Depends(chosen("files"))]


def _card(
    request: Request,
    principal: Principal,
    container: Container,
    person: PersonView,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    """The face card for htmx, else the whole page around it."""
    if not is_htmx(request):
        extra = {"face_errors": errors or {}, "face_form": form or {}, "face_done": done}
        return person_page(
            request, principal, container, person, extra=extra, status_code=status_code
        )
    context = card_context(container, principal, person, errors=errors, form=form, done=done)
    context["person"] = person
    return render(request, "partials/face_enrol.html", context, status_code=status_code)


@router.post("/people/{person_id}/faces/consent", dependencies=[require(Permission.PERSONS_WRITE)])
def record_face_consent(
    request: Request,
    person_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    notice_version: FormText = "",
    agreed: FormText = "",
) -> Response:
    """Record the person's consent to face recognition under a notice version."""
    form = {"notice_version": notice_version}
    if not agreed:
        errors = {"agreed": gettext(_NOT_AGREED)}
    else:
        try:
            container.consents.record(
                principal, person_id, purpose=FACE_CONSENT_PURPOSE, notice_version=notice_version
            )
        except ValidationFailed as exc:
            errors = field_errors(exc, known=_CONSENT_FIELDS)
        else:
            return RedirectResponse(
                f"/ui/people/{person_id}?notice=face_consent_recorded", status_code=303
            )
    person = container.persons.get(principal, person_id)
    return _card(request, principal, container, person, errors=errors, form=form, status_code=422)


@router.post("/people/{person_id}/faces", dependencies=[require(Permission.FACES_ENROL)])
def enrol_face(
    request: Request,
    person_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    files: Photos,
    replace: FormText = "",
) -> Response:
    """Enrol from 1-5 photos (all or nothing); ``replace`` drops the earlier templates."""
    person = container.persons.get(principal, person_id)
    photos = [
        Photo(read_upload(container, upload), upload.filename or f"photo {number + 1}")
        for number, upload in enumerate(files)
    ]
    try:
        enrolment = container.faces.enrol(principal, person_id, photos, replace=bool(replace))
    except (ValidationFailed, Conflict) as exc:
        # No consent (409) is about the card, not the photos: the upload form is gone.
        field, status = ("_form", 409) if isinstance(exc, Conflict) else ("files", 422)
        errors = {field: sentence(exc)}
        return _card(request, principal, container, person, errors=errors, status_code=status)
    if not is_htmx(request):
        return RedirectResponse(f"/ui/people/{person_id}?notice=face_enrolled", status_code=303)
    added = len(enrolment.faces)
    if enrolment.replaced:
        done = ngettext(
            "Face enrolled: %(n)s new template, %(old)s earlier one(s) deleted.",
            "Face enrolled: %(n)s new templates, %(old)s earlier one(s) deleted.",
            added,
        ) % {"n": added, "old": enrolment.replaced}
    else:
        done = ngettext(
            "Face enrolled: %(n)s new template.", "Face enrolled: %(n)s new templates.", added
        ) % {"n": added}
    return _card(request, principal, container, person, done=done, status_code=201)


@router.post("/people/{person_id}/faces/delete", dependencies=[require(Permission.FACES_ENROL)])
def delete_faces(
    request: Request, person_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    """Delete every face template of the person (the consent stays as it is)."""
    deleted = container.faces.delete(principal, person_id)
    if not is_htmx(request):
        return RedirectResponse(f"/ui/people/{person_id}?notice=face_deleted", status_code=303)
    person = container.persons.get(principal, person_id)
    done = ngettext("%(n)s face template deleted.", "%(n)s face templates deleted.", deleted) % {
        "n": deleted
    }
    return _card(request, principal, container, person, done=done)


def _identify(
    request: Request,
    person_id: str,
    principal: Principal,
    container: Container,
    frame: Sequence[UploadFile],
) -> Response:
    person = container.persons.get(principal, person_id)
    test = recognition_test(container, principal, frame, site_id=person.site_id)
    status = 422 if test.error else 200
    if is_htmx(request):
        context: dict[str, Any] = {"test": test, "person": person}
        return render(request, "partials/face_identify.html", context, status_code=status)
    return person_page(
        request, principal, container, person, extra={"test": test}, status_code=status
    )


@router.post("/people/{person_id}/faces/identify", dependencies=[require(Permission.FACES_TEST)])
async def identify_face(
    request: Request,
    person_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    frame: Frame,
) -> Response:
    """1:N test from the person page (users only: the answer shows people)."""
    return await run_in_threadpool(_identify, request, person_id, principal, container, frame)
