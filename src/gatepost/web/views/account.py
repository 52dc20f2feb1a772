"""The signed-in user's own account: password, sessions, two-step verification (TOTP).

``/ui/account`` changes the password (every other session is signed out and this one is
rotated: a new token in a new cookie) and lists the user's live sessions, each with a
sign-out button, and "sign out everywhere else". Sessions are shown by times only,
never by token. A user whose administrator requires TOTP may do nothing else until
enrolled, so the sign-in and the error pages send such a user to the two-step page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import (
    ContainerDep,
    CurrentPrincipal,
    GuardedRoute,
    clear_session_cookie,
    require,
    set_session_cookie,
)
from gatepost.errors import ValidationFailed
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.web.errors import is_htmx
from gatepost.web.forms import FormText, field_errors, sentence
from gatepost.web.i18n import gettext
from gatepost.web.rendering import render

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

_DONE = "/ui/?notice=totp_enabled"
_PASSWORD_FIELDS = {"current_password", "new_password", "confirm_password"}


def _account_page(
    request: Request,
    principal: Principal,
    container: Container,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "active": "account",
        "sessions": container.sessions.live(principal),
        "current_session": principal.session_id,
        "errors": errors or {},
    }
    return render(request, "pages/account.html", context, status_code=status_code)


@router.get("/account", dependencies=[require(Permission.ACCOUNT_SELF)])
def account(request: Request, principal: CurrentPrincipal, container: ContainerDep) -> Response:
    return _account_page(request, principal, container)


@router.post("/account/password", dependencies=[require(Permission.ACCOUNT_SELF)])
def change_password(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    current_password: FormText = "",
    new_password: FormText = "",
    confirm_password: FormText = "",
) -> Response:
    """Change the password; the caller stays signed in on a new session."""
    if new_password != confirm_password:
        errors = {"confirm_password": gettext("The two new passwords differ.")}
        return _account_page(request, principal, container, errors=errors, status_code=422)
    try:
        result = container.auth.change_password(
            principal, current=current_password, new=new_password, stay_signed_in=True
        )
    except ValidationFailed as exc:
        errors = field_errors(exc, known=_PASSWORD_FIELDS)
        return _account_page(request, principal, container, errors=errors, status_code=422)
    response = RedirectResponse("/ui/account?notice=password_changed", status_code=303)
    if result is None:  # not a session: nothing to keep signed in
        return response
    set_session_cookie(response, result.token, container)
    return response


@router.post("/account/sessions/revoke-others", dependencies=[require(Permission.ACCOUNT_SELF)])
def revoke_others(principal: CurrentPrincipal, container: ContainerDep) -> Response:
    container.sessions.revoke_others(principal)
    return RedirectResponse("/ui/account?notice=sessions_revoked", status_code=303)


@router.post(
    "/account/sessions/{session_id}/revoke", dependencies=[require(Permission.ACCOUNT_SELF)]
)
def revoke_session(
    session_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    """Sign out one of one's own sessions (another user's is 404); this one signs out."""
    container.sessions.revoke(principal, session_id)
    if session_id == principal.session_id:
        response = RedirectResponse("/ui/login?notice=signed_out", status_code=303)
        clear_session_cookie(response)
        return response
    return RedirectResponse("/ui/account?notice=session_revoked", status_code=303)


@router.get("/account/two-step", dependencies=[require(Permission.ACCOUNT_SELF)])
def two_step(request: Request, principal: CurrentPrincipal) -> Response:
    context = {"required": principal.totp_pending, "enrolment": None}
    return render(request, "pages/two_step.html", context)


@router.post("/account/two-step", dependencies=[require(Permission.ACCOUNT_SELF)])
def begin(request: Request, principal: CurrentPrincipal, container: ContainerDep) -> Response:
    """A new secret to add to an authenticator app; it takes effect once confirmed."""
    enrolment = container.two_step.begin(principal)
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
        container.two_step.confirm(principal, code=code)
    except ValidationFailed as exc:
        error = sentence(exc)
        if is_htmx(request):
            return render(request, "partials/two_step_confirm.html", {"error": error})
        context = {"required": principal.totp_pending, "enrolment": None, "error": error}
        return render(request, "pages/two_step.html", context, status_code=422)
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": _DONE})
    return RedirectResponse(_DONE, status_code=303)
