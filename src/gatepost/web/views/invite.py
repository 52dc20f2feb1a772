"""The public invitation page (``/ui/invite``): the invitee chooses a username and
password and joins the organisation with the role they were invited for.

The link's token sits in the URL fragment (``/ui/invite#<token>``), which a browser
never sends, so no server or proxy log sees it: ``static/invite.js`` moves it into the
form, drops it from the address bar and shows which organisation and role the link is
for (``POST /api/v1/invitations/check``); choosing a language in the layout's menu
keeps the token (the script posts the choice itself and reloads the page with the
token back in the fragment). Without JavaScript the invitee pastes the code. The
form posts the token in its body, with the pre-session CSRF token of
:mod:`gatepost.web.csrf`, like sign-in and first-run setup.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import ContainerDep, GuardedRoute, public
from gatepost.domain.errors import InvitationRefused
from gatepost.errors import Conflict, Throttled, ValidationFailed
from gatepost.services.container import Container
from gatepost.web.csrf import form_csrf, form_csrf_valid
from gatepost.web.forms import FormText, field_errors, sentence
from gatepost.web.i18n import N_, gettext
from gatepost.web.rendering import render

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

_EXPIRED = N_("This form has expired. Please try again.")
_FIELDS = {"token", "username", "password", "password_confirm"}


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _invite_form(
    request: Request,
    container: Container,
    *,
    form: dict[str, str],
    token: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The form; ``token`` is given back only after a refusal that was not the token's
    (a weak password), so the invitee need not open the link again."""
    guard = form_csrf(request, container.clock.now())
    context = {"csrf_token": guard.token, "form": form, "token": token, "errors": errors or {}}
    page = render(request, "pages/invite.html", context, status_code=status_code, headers=headers)
    return guard.apply(page)


@router.get("/invite", dependencies=[public("the invitation page")])
def invite_page(request: Request, container: ContainerDep) -> Response:
    return _invite_form(request, container, form={})


@router.post("/invite", dependencies=[public("accepting an invitation")])
def accept_invitation(
    request: Request,
    container: ContainerDep,
    token: FormText = "",
    username: FormText = "",
    password: FormText = "",
    password_confirm: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    form = {"username": username.strip()[:120]}
    token = token.strip()[:200]
    if not form_csrf_valid(request, csrf_token, container.clock.now()):
        errors = {"_form": gettext(_EXPIRED)}
        return _invite_form(
            request, container, form=form, token=token, errors=errors, status_code=403
        )
    if password != password_confirm:
        errors = {"password_confirm": gettext("The passwords do not match.")}
        return _invite_form(
            request, container, form=form, token=token, errors=errors, status_code=422
        )
    try:
        accepted = container.invitations.accept(
            token=token, username=username, password=password, client=_client(request)
        )
    except Throttled as exc:
        errors = {"_form": sentence(exc)}
        headers = {"Retry-After": str(exc.retry_after)}
        return _invite_form(
            request, container, form=form, errors=errors, status_code=429, headers=headers
        )
    except InvitationRefused as exc:
        errors = {"token": sentence(exc)}
        return _invite_form(request, container, form=form, errors=errors, status_code=409)
    except ValidationFailed as exc:
        errors = field_errors(exc, known=_FIELDS)
        return _invite_form(
            request, container, form=form, token=token, errors=errors, status_code=422
        )
    except Conflict as exc:
        errors = {"username": sentence(exc)}
        return _invite_form(
            request, container, form=form, token=token, errors=errors, status_code=409
        )
    query = urlencode({"notice": "invitation_accepted", "tenant": accepted.tenant_slug})
    return RedirectResponse(f"/ui/login?{query}", status_code=303)
