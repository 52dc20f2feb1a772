"""The signed-in user's own account: two-step verification (TOTP) enrolment.

A user whose administrator requires TOTP may do nothing else until enrolled, so the
sign-in and the error pages send such a user here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.errors import ValidationFailed
from gatepost.security.permissions import Permission
from gatepost.web.errors import is_htmx
from gatepost.web.forms import sentence
from gatepost.web.rendering import render

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

_DONE = "/ui/?notice=totp_enabled"


@router.get("/account/two-step", dependencies=[require(Permission.ACCOUNT_SELF)])
def two_step(request: Request, principal: CurrentPrincipal) -> Response:
    context = {"required": principal.totp_pending, "enrolment": None}
    return render(request, "pages/two_step.html", context)


@router.post("/account/two-step", dependencies=[require(Permission.ACCOUNT_SELF)])
def begin(request: Request, principal: CurrentPrincipal, container: ContainerDep) -> Response:
    """A new secret to add to an authenticator app; it takes effect once confirmed."""
    enrolment = container.auth.begin_totp(principal)
    context = {"required": principal.totp_pending, "enrolment": enrolment}
    return render(request, "pages/two_step.html", context)


@router.post("/account/two-step/confirm", dependencies=[require(Permission.ACCOUNT_SELF)])
def confirm(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    code: Annotated[str, Form()] = "",
) -> Response:
    try:
        container.auth.confirm_totp(principal, code=code)
    except ValidationFailed as exc:
        error = sentence(exc.message)
        if is_htmx(request):
            return render(request, "partials/two_step_confirm.html", {"error": error})
        context = {"required": principal.totp_pending, "enrolment": None, "error": error}
        return render(request, "pages/two_step.html", context, status_code=422)
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": _DONE})
    return RedirectResponse(_DONE, status_code=303)
