"""Error pages for ``/ui``: a sign-in redirect for 401, an HTML page for the rest.

The handlers are registered for the concrete subclasses of ``GatepostError`` (never for
``GatepostError`` itself), so they win over the JSON handler of
:mod:`gatepost.api.errors` whatever order the two are installed in. Outside ``/ui``
they hand the error to the next handler up the exception's MRO, which is the JSON one.

htmx requests get the same status, with ``HX-Redirect`` for 401; a fragment request
(not a boosted form) otherwise gets a flash message retargeted at the page's ``#flash``
stack, so the user sees why nothing changed.
"""

from __future__ import annotations

import inspect
import logging

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from gatepost import errors as e
from gatepost.api.deps import SESSION_COOKIE
from gatepost.api.errors import status_for
from gatepost.security.csrf import csrf_token_for
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.web.forms import sentence
from gatepost.web.i18n import N_, gettext
from gatepost.web.rendering import Message, permissions_of, render, viewer_of

__all__ = ["TWO_STEP_PATH", "UI_PREFIX", "install_error_pages", "is_htmx", "login_redirect"]

log = logging.getLogger("gatepost.web")

UI_PREFIX = "/ui"
LOGIN_PATH = "/ui/login"
TWO_STEP_PATH = "/ui/account/two-step"

_HANDLED: tuple[type[e.GatepostError], ...] = (
    e.AuthenticationFailed,
    e.ConfigError,
    e.Conflict,
    e.CryptoError,
    e.IntegrityError,
    e.MethodNotAllowed,
    e.NotFound,
    e.PermissionDenied,
    e.ServiceUnavailable,
    e.SetupError,
    e.ValidationFailed,
)

_CSRF_MESSAGE = N_(
    "This form has expired or came from another site. Reload the page and try again."
)


def is_htmx(request: Request) -> bool:
    """An htmx request for a fragment (a boosted form or link wants a whole page)."""
    return (
        request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"
    )


def _redirect(request: Request, path: str, status_code: int) -> Response:
    if request.headers.get("hx-request") == "true":
        return Response(status_code=status_code, headers={"HX-Redirect": path})
    return RedirectResponse(path, status_code=303)


def login_redirect(request: Request) -> Response:
    """Send the browser to the sign-in page and drop a stale session cookie."""
    response = _redirect(request, LOGIN_PATH, 401)
    if request.cookies.get(SESSION_COOKIE):
        response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True)
    return response


def _message(exc: e.GatepostError, status: int) -> str | None:
    if isinstance(exc, e.PermissionDenied) and exc.permission == "csrf":
        return gettext(_CSRF_MESSAGE)
    if isinstance(exc, e.PermissionDenied | e.NotFound | e.MethodNotAllowed) or status >= 500:
        return None  # the page's default text for the status says it best
    return sentence(exc)


def _signed_in(request: Request) -> Principal | None:
    """The principal, also when authorisation (not authentication) failed."""
    principal = getattr(request.state, "principal", None)
    if isinstance(principal, Principal):
        return principal
    token = getattr(request.state, "session_token", None)
    if not isinstance(token, str):
        return None
    container: Container = request.app.state.container
    try:
        return container.auth.authenticate(token)
    except e.GatepostError:
        return None


def _error_page(request: Request, exc: e.GatepostError) -> Response:
    status = status_for(exc)
    if status >= 500:
        log.error("ui request failed: %s (%s)", exc.code, type(exc).__name__)
    message = _message(exc, status)
    # The language menu returns to the dashboard, not to the failed path: an error page
    # must not depend on the path's id (BOLA: a foreign id reads like a missing one).
    context: dict[str, object] = {"status_code": status, "message": message, "current_path": "/ui/"}
    principal = _signed_in(request)
    if isinstance(exc, e.PermissionDenied) and principal is not None and principal.totp_pending:
        return _redirect(request, TWO_STEP_PATH, 403)  # enrol first, then everything else
    if principal is not None:
        context["principal"] = viewer_of(principal)
        context["allowed"] = permissions_of(principal)
        token = getattr(request.state, "session_token", None)
        if isinstance(token, str):
            context["csrf_token"] = csrf_token_for(token)
    headers: dict[str, str] = {}
    if isinstance(exc, e.Throttled | e.ServiceUnavailable):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, e.MethodNotAllowed):
        headers["Allow"] = ", ".join(sorted(exc.allowed))
    if is_htmx(request):
        text = message or gettext("You do not have permission to do that.")
        if status == 404:
            text = gettext("That item no longer exists. Reload the page.")
        elif status == 405:
            text = gettext("That action is not allowed here.")
        elif status >= 500:
            text = gettext("Something went wrong on our side. The error has been logged.")
        headers |= {"HX-Retarget": "#flash", "HX-Reswap": "outerHTML", "HX-Reselect": "#flash"}
        context["messages"] = [Message("error", text)]
        return render(request, "partials/flash.html", context, status_code=status, headers=headers)
    return render(request, "pages/error.html", context, status_code=status, headers=headers)


async def _ui_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, e.GatepostError)  # noqa: S101 - registered for these types only
    if request.url.path == UI_PREFIX or request.url.path.startswith(UI_PREFIX + "/"):
        if isinstance(exc, e.AuthenticationFailed) and status_for(exc) == 401:
            return login_redirect(request)
        return await run_in_threadpool(_error_page, request, exc)
    for cls in type(exc).__mro__:
        handler = request.app.exception_handlers.get(cls)
        if handler is not None and handler is not _ui_error:
            response = handler(request, exc)
            if inspect.isawaitable(response):
                response = await response
            assert isinstance(response, Response)  # noqa: S101 - handlers return responses
            return response
    raise exc


def install_error_pages(app: FastAPI) -> None:
    for cls in _HANDLED:
        app.add_exception_handler(cls, _ui_error)
