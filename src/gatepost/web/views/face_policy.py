"""The Faces area (``/ui/faces``): the tenant's face policy and a tenant-wide recognition test.

Anyone who may read people sees the policy: the target false-match rate, the distance
threshold it gives for the face model, the FPIR limit and the largest gallery in which a
face alone may still decide, and how long enrolment photos are kept. Whoever may change
the tenant's settings changes it here (a refusal is shown next to its field; a change
redirects with a notice). The recognition test is the person page's, for any site.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.domain.faces import OpenSetPolicy, expected_fpir, face_only_limit
from gatepost.errors import ValidationFailed
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.vision.calibration import threshold_for
from gatepost.web.errors import is_htmx
from gatepost.web.forms import FormText, sentence
from gatepost.web.lookups import site_names
from gatepost.web.recognitions import Frame, RecognitionTest, recognition_test
from gatepost.web.rendering import can, render

__all__ = ["FMR_CHOICES", "FaceOverview", "FmrChoice", "router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)


FMR_CHOICES: tuple[float, ...] = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6)
"""The target false-match rates the form offers (the calibration table's points)."""

_POLICY_FIELDS = {
    "target_fmr": "The target false-match rate",
    "max_fpir": "The FPIR limit",
    "photo_days": "The number of days to keep photos",
}
_NOT_A_NUMBER = {
    "target_fmr": "Choose a target false-match rate from the list.",
    "max_fpir": "Enter the FPIR limit as a number, for example 0.05.",
    "photo_days": "Enter a whole number of days (0 discards the photos).",
}


@dataclass(frozen=True)
class FmrChoice:
    """One option of the target FMR select: the posted value, its words, its threshold."""

    value: str
    label: str
    threshold: float
    selected: bool


@dataclass(frozen=True)
class FaceOverview:
    """What the page says about the tenant's faces (no template data)."""

    people: int
    enrolled: int
    templates: int
    model: str
    policy: OpenSetPolicy
    photo_days: int
    face_only_limit: int

    @property
    def directory_fpir(self) -> float:
        """The FPIR if everyone in the directory were enrolled in one gallery."""
        return expected_fpir(self.people, self.policy.target_fmr)


def _one_in(rate: float) -> str:
    """``1e-4`` as "1 in 10,000"."""
    return f"1 in {round(1 / rate):,}"


def _number(raw: str) -> float | None:
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _fmr_choices(model: str, chosen: float | None) -> list[FmrChoice]:
    """The offered rates, plus the chosen one where it is not among them (set by the API)."""
    rates = list(FMR_CHOICES)
    if chosen is not None and not any(math.isclose(chosen, r) for r in rates):
        if 0 < chosen < 1:
            rates = sorted([*rates, chosen], reverse=True)
    return [
        FmrChoice(
            value=f"{rate:g}",
            label=_one_in(rate),
            threshold=threshold_for(model, rate),
            selected=chosen is not None and math.isclose(chosen, rate),
        )
        for rate in rates
    ]


def _overview(container: Container, principal: Principal) -> FaceOverview:
    policy = container.faces.policy(principal)
    enrolled, templates = container.faces.enrolled(principal)
    return FaceOverview(
        people=container.persons.count(principal),
        enrolled=enrolled,
        templates=templates,
        model=container.faces.model,
        policy=policy,
        photo_days=container.faces.photo_days(principal),
        face_only_limit=face_only_limit(policy),
    )


def _faces_page(
    request: Request,
    principal: Principal,
    container: Container,
    *,
    form: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    test: RecognitionTest | None = None,
    test_site: str = "",
    status_code: int = 200,
) -> Response:
    overview = _overview(container, principal)
    if form is None:
        form = {
            "target_fmr": f"{overview.policy.target_fmr:g}",
            "max_fpir": f"{overview.policy.max_fpir:g}",
            "photo_days": str(overview.photo_days),
        }
    can_test = can(principal, Permission.FACES_TEST)
    context: dict[str, Any] = {
        "active": "faces",
        "overview": overview,
        "can_edit": can(principal, Permission.TENANT_SETTINGS_WRITE),
        "can_test": can_test,
        "choices": _fmr_choices(overview.model, _number(form.get("target_fmr", ""))),
        "form": dict(form),
        "errors": dict(errors or {}),
        "sites": site_names(container, principal) if can_test else {},
        "test": test,
        "test_site": test_site,
    }
    return render(request, "pages/faces.html", context, status_code=status_code)


@router.get("/faces", dependencies=[require(Permission.PERSONS_READ)])
def faces(request: Request, principal: CurrentPrincipal, container: ContainerDep) -> Response:
    return _faces_page(request, principal, container)


def _unreadable(form: Mapping[str, str]) -> dict[str, str]:
    """Fields that are not numbers of their kind (the service checks the ranges)."""
    errors: dict[str, str] = {}
    for field in ("target_fmr", "max_fpir"):
        if _number(form[field]) is None:
            errors[field] = _NOT_A_NUMBER[field]
    if not form["photo_days"].strip().isdecimal():
        errors["photo_days"] = _NOT_A_NUMBER["photo_days"]
    return errors


def _refusal(exc: ValidationFailed) -> dict[str, str]:
    """The service's refusal next to its field, in the form's words."""
    field = exc.field or ""
    if field not in _POLICY_FIELDS:
        return {"_form": sentence(exc)}
    message = exc.message
    if message.startswith(field):
        message = _POLICY_FIELDS[field] + message[len(field) :]
    return {field: sentence(message)}


@router.post("/faces/policy", dependencies=[require(Permission.TENANT_SETTINGS_WRITE)])
def save_face_policy(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    target_fmr: FormText = "",
    max_fpir: FormText = "",
    photo_days: FormText = "",
) -> Response:
    """Set the target FMR, the FPIR limit and how long enrolment photos are kept."""
    form = {"target_fmr": target_fmr, "max_fpir": max_fpir, "photo_days": photo_days}
    errors = _unreadable(form)
    if not errors:
        try:
            container.faces.set_policy(
                principal,
                target_fmr=float(target_fmr),
                max_fpir=float(max_fpir),
                photo_days=int(photo_days),
            )
        except ValidationFailed as exc:
            errors = _refusal(exc)
        else:
            return RedirectResponse("/ui/faces?notice=face_policy_saved", status_code=303)
    return _faces_page(request, principal, container, form=form, errors=errors, status_code=422)


def _identify(
    request: Request,
    principal: Principal,
    container: Container,
    frame: Sequence[UploadFile],
    site_id: str,
) -> Response:
    if site_id and site_id not in site_names(container, principal):
        test = RecognitionTest(error="Choose a site from the list.")
    else:
        test = recognition_test(container, principal, frame, site_id=site_id or None)
    status = 422 if test.error else 200
    if is_htmx(request):
        context: dict[str, Any] = {"test": test}
        return render(request, "partials/face_identify.html", context, status_code=status)
    return _faces_page(
        request, principal, container, test=test, test_site=site_id, status_code=status
    )


@router.post("/faces/identify", dependencies=[require(Permission.FACES_TEST)])
async def identify_face(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    frame: Frame,
    site_id: FormText = "",
) -> Response:
    """1:N test for a site's cameras, or for people without a site (users only)."""
    return await run_in_threadpool(_identify, request, principal, container, frame, site_id)
