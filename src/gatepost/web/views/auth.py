"""Sign-in, sign-out and first-run setup pages.

Sign-in and setup are the only public pages. Their forms carry the pre-session CSRF
token of :mod:`gatepost.web.csrf`; every failure to sign in shows the one uniform
message the auth service gives, whatever was wrong. The sign-in form is one step with
an optional one-time code field, so a right password without (or with a wrong) code
gets exactly the page a wrong password gets.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import (
    SESSION_COOKIE,
    ContainerDep,
    CurrentPrincipal,
    GuardedRoute,
    clear_session_cookie,
    public,
    require,
    set_session_cookie,
)
from gatepost.errors import (
    AuthenticationFailed,
    Conflict,
    GatepostError,
    SetupError,
    Throttled,
    ValidationFailed,
)
from gatepost.security.permissions import Permission
from gatepost.services.container import Container
from gatepost.web.csrf import FORM_CSRF_COOKIE, form_csrf, form_csrf_valid
from gatepost.web.errors import TWO_STEP_PATH
from gatepost.web.forms import FormText, field_errors, sentence
from gatepost.web.i18n import N_, gettext
from gatepost.web.rendering import render

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

_EXPIRED = N_("This form has expired. Please try again.")
_SETUP_FIELDS = {"token", "tenant_name", "tenant_slug", "username", "password", "password_confirm"}
_SETUP_ALIASES = {"name": "tenant_name", "slug": "tenant_slug"}


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _has_session(request: Request, container: Container) -> bool:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return False
    try:
        container.auth.authenticate(token)
    except GatepostError:
        return False
    return True


def _login_form(
    request: Request,
    container: Container,
    *,
    form: dict[str, str],
    error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    guard = form_csrf(request, container.clock.now())
    context = {"csrf_token": guard.token, "form": form, "error": error}
    page = render(request, "pages/login.html", context, status_code=status_code, headers=headers)
    return guard.apply(page)


@router.get("/login", dependencies=[public("the sign-in page")])
def login_page(request: Request, container: ContainerDep, tenant: str = "") -> Response:
    if _has_session(request, container):
        return RedirectResponse("/ui/", status_code=303)
    return _login_form(request, container, form={"tenant": tenant.strip()[:63]})


@router.post("/login", dependencies=[public("signing in")])
def login(
    request: Request,
    container: ContainerDep,
    tenant: FormText = "",
    username: FormText = "",
    password: FormText = "",
    totp: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    form = {"tenant": tenant.strip()[:63], "username": username.strip()[:150]}
    if not form_csrf_valid(request, csrf_token, container.clock.now()):
        return _login_form(request, container, form=form, error=gettext(_EXPIRED), status_code=403)
    try:
        result = container.auth.login(
            tenant_slug=tenant,
            username=username,
            password=password,
            totp_code=totp.strip() or None,
            client=_client(request),
        )
    except Throttled as exc:
        return _login_form(
            request,
            container,
            form=form,
            error=sentence(exc),
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    except AuthenticationFailed as exc:
        message = sentence(exc)
        return _login_form(request, container, form=form, error=message, status_code=401)
    landing = TWO_STEP_PATH if result.principal.totp_pending else "/ui/"
    response = RedirectResponse(landing, status_code=303)
    set_session_cookie(response, result.token, container)
    response.delete_cookie(FORM_CSRF_COOKIE, path="/", secure=True, httponly=True)
    return response


@router.post("/logout", dependencies=[require(Permission.ACCOUNT_SELF)])
def logout(principal: CurrentPrincipal, container: ContainerDep) -> Response:
    container.auth.logout(principal)
    response = RedirectResponse("/ui/login?notice=signed_out", status_code=303)
    clear_session_cookie(response)
    return response


def _setup_form(
    request: Request,
    container: Container,
    *,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    guard = form_csrf(request, container.clock.now())
    context = {"csrf_token": guard.token, "form": form, "errors": errors or {}}
    return guard.apply(render(request, "pages/setup.html", context, status_code=status_code))


@router.get("/setup", dependencies=[public("first-run setup page")])
def setup_page(request: Request, container: ContainerDep) -> Response:
    if not container.setup.needed():
        return RedirectResponse("/ui/login", status_code=303)
    return _setup_form(request, container, form={})


@router.post("/setup", dependencies=[public("first-run setup")])
def setup(
    request: Request,
    container: ContainerDep,
    token: FormText = "",
    tenant_name: FormText = "",
    tenant_slug: FormText = "",
    username: FormText = "",
    password: FormText = "",
    password_confirm: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    form = {"tenant_name": tenant_name, "tenant_slug": tenant_slug, "username": username}
    if not form_csrf_valid(request, csrf_token, container.clock.now()):
        return _setup_form(
            request, container, form=form, errors={"_form": gettext(_EXPIRED)}, status_code=403
        )
    if password != password_confirm:
        errors = {"password_confirm": gettext("The passwords do not match.")}
        return _setup_form(request, container, form=form, errors=errors, status_code=422)
    try:
        container.setup.complete(
            token=token,
            tenant_name=tenant_name,
            tenant_slug=tenant_slug,
            username=username,
            password=password,
        )
    except ValidationFailed as exc:
        errors = field_errors(exc, known=_SETUP_FIELDS, aliases=_SETUP_ALIASES)
        return _setup_form(request, container, form=form, errors=errors, status_code=422)
    except (SetupError, Conflict) as exc:
        field = "token" if isinstance(exc, SetupError) else "tenant_slug"
        errors = {field: sentence(exc)}
        return _setup_form(request, container, form=form, errors=errors, status_code=409)
    query = urlencode({"notice": "setup_done", "tenant": tenant_slug.strip().lower()})
    response = RedirectResponse(f"/ui/login?{query}", status_code=303)
    response.delete_cookie(FORM_CSRF_COOKIE, path="/", secure=True, httponly=True)
    return response
