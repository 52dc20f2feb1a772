"""The language menu: remembers the user's choice of UI language in a cookie.

The choice is a preference, not a secret, so it lives in a plain cookie that the
sign-in page can read too. The form is a POST like every other state change and
carries a CSRF token: the session's for a signed-in user, the pre-session one on the
public pages. It then sends the browser back to the page it came from, which must be a
path inside ``/ui`` (never another site).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import SESSION_COOKIE, ContainerDep, GuardedRoute, public
from gatepost.errors import GatepostError, PermissionDenied, ValidationFailed
from gatepost.security.csrf import csrf_valid
from gatepost.web.csrf import form_csrf_valid
from gatepost.web.forms import FormText
from gatepost.web.i18n import LANG_COOKIE, LOCALES

__all__ = ["LANGUAGE_PATH", "back_to", "router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

LANGUAGE_PATH = "/ui/language"
_ONE_YEAR = 365 * 24 * 3600


def back_to(raw: str) -> str:
    """``raw`` when it is a path inside ``/ui`` (no scheme, host, query or ``//``),
    else the dashboard."""
    if (
        raw.startswith("/ui")
        and (len(raw) == 3 or raw[3] == "/")
        and "//" not in raw
        and "\\" not in raw
        and not any(ch in raw for ch in "?#:@")
        and all(32 < ord(ch) < 127 for ch in raw)
        and len(raw) <= 300
    ):
        return raw
    return "/ui/"


def _csrf_ok(request: Request, container: ContainerDep, presented: str) -> bool:
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        try:
            container.auth.authenticate(session)
        except GatepostError:
            pass
        else:
            return csrf_valid(session, presented)
    return form_csrf_valid(request, presented, container.clock.now())


@router.post("/language", dependencies=[public("choosing the UI language")])
def choose_language(
    request: Request,
    container: ContainerDep,
    locale: FormText = "",
    next: FormText = "/ui/",  # noqa: A002 - the field's name in the form
    csrf_token: FormText = "",
) -> Response:
    if not _csrf_ok(request, container, csrf_token):
        raise PermissionDenied("csrf")
    if locale not in LOCALES:
        raise ValidationFailed("unknown language", field="locale")
    response = RedirectResponse(back_to(next), status_code=303)
    response.set_cookie(
        LANG_COOKIE,
        locale,
        max_age=_ONE_YEAR,
        path="/",
        secure=True,
        httponly=True,
        samesite="lax",
    )
    return response
