"""API keys (``/ui/api-keys``): the tenant's keys for integrations (name, role,
created, expires, last used, revoked), a form that creates one (its secret shown once,
with a copy button), and revoking one (after a confirmation dialog).

The role ("scope") select offers only roles the viewer may grant; the expiry select
offers whole days within ``API_KEY_MAX_DAYS`` or none. Forms post and redirect; only
the copy button needs JavaScript (``static/copy.js``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.errors import ValidationFailed
from gatepost.security.permissions import Permission
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.services.users import API_KEY_MAX_DAYS
from gatepost.web.forms import FormText, field_errors, whole_number
from gatepost.web.i18n import N_
from gatepost.web.rendering import can, render
from gatepost.web.roles import ROLE_LABELS, role_choices

__all__ = ["EXPIRY_CHOICES", "router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

READ = [require(Permission.USERS_READ)]
WRITE = [require(Permission.USERS_WRITE)]
_FIELDS = {"name", "role", "expires_in_days"}

EXPIRY_CHOICES: tuple[int, ...] = (7, 30, 90, 180, 365, API_KEY_MAX_DAYS)
"""The expiry select's days (an empty choice: the key never expires)."""
_DEFAULT_DAYS = 90


def _days(raw: str) -> int | None:
    """The expiry field: None for "never" (or empty), else a whole number of days (the
    service checks the range), or ValidationFailed (``expires_in_days``)."""
    if raw.strip() == "never":
        return None
    message = N_("expiry must be a whole number of days")
    return whole_number(raw, field="expires_in_days", message=message)


def _list(
    request: Request,
    principal: Principal,
    container: Container,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "active": "api_keys",
        "keys": container.users.list_api_keys(principal),
        "now": container.clock.now(),
        "role_labels": ROLE_LABELS,
        "roles": role_choices(principal),
        "expiry_choices": EXPIRY_CHOICES,
        "form": form or {"name": "", "role": "", "expires_in_days": str(_DEFAULT_DAYS)},
        "errors": errors or {},
        "can_write": can(principal, Permission.USERS_WRITE),
    }
    return render(request, "pages/api_keys.html", context, status_code=status_code)


@router.get("/api-keys", dependencies=READ)
def api_keys(request: Request, principal: CurrentPrincipal, container: ContainerDep) -> Response:
    return _list(request, principal, container)


@router.post("/api-keys", dependencies=WRITE)
def create_api_key(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    name: FormText = "",
    role: FormText = "",
    expires_in_days: FormText = "",
) -> Response:
    form = {"name": name[:120], "role": role[:16], "expires_in_days": expires_in_days[:8]}
    try:
        issued = container.users.create_api_key(
            principal, name=name, role=role, expires_in_days=_days(expires_in_days)
        )
    except ValidationFailed as exc:
        errors = field_errors(exc, known=_FIELDS)
        return _list(request, principal, container, form=form, errors=errors, status_code=422)
    context = {
        "active": "api_keys",
        "key": issued.key,
        "secret": issued.token,
        "role_labels": ROLE_LABELS,
    }
    return render(request, "pages/api_key_issued.html", context, status_code=201)


@router.post("/api-keys/{key_id}/revoke", dependencies=WRITE)
def revoke_api_key(key_id: str, principal: CurrentPrincipal, container: ContainerDep) -> Response:
    container.users.revoke_api_key(principal, key_id)
    return RedirectResponse("/ui/api-keys?notice=api_key_revoked", status_code=303)
