"""Users (``/ui/users``): the tenant's staff accounts and pending invitations, the
invite form (its one-time link shown once, with a copy button), and each user's page
with its actions: change role, disable or enable, require two-step, reset two-step.

Role selects offer only the roles the viewer may grant (``grantable_roles``); the
services refuse any other (a forged form gets the message next to the field). Forms
post and redirect; only the copy button needs JavaScript (``static/copy.js``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.domain.accounts import User
from gatepost.errors import Conflict, ValidationFailed
from gatepost.security.permissions import Permission, Role, grantable_roles
from gatepost.security.policy import Principal
from gatepost.services.container import Container
from gatepost.web.forms import (
    FormText,
    field_errors,
    optional,
    page_limit,
    sentence,
    whole_number,
)
from gatepost.web.i18n import N_
from gatepost.web.rendering import can, render
from gatepost.web.roles import ROLE_LABELS, role_choices

__all__ = ["router"]

router = APIRouter(prefix="/ui", route_class=GuardedRoute, include_in_schema=False)

READ = [require(Permission.USERS_READ)]
WRITE = [require(Permission.USERS_WRITE)]
_INVITE_FIELDS = {"role", "hours"}
_INVITATIONS_PER_PAGE = 50


def _hours(raw: str, default: int) -> int:
    """The lifetime field in hours (``default`` when empty), or ValidationFailed."""
    hours = whole_number(raw, field="hours", message=N_("hours must be a whole number"))
    return default if hours is None else hours


def _users_page(
    request: Request,
    principal: Principal,
    container: Container,
    *,
    cursor: str | None = None,
    limit: int = 50,
    invitations_cursor: str | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    can_write = can(principal, Permission.USERS_WRITE)
    pending = container.invitations.list_pending(
        tenant_id=principal.tenant_id, limit=_INVITATIONS_PER_PAGE, after=invitations_cursor
    )
    context: dict[str, Any] = {
        "active": "users",
        "page": container.users.list(principal, limit=limit, after=cursor),
        "invitations": pending,
        "invitations_cursor": invitations_cursor or "",
        "role_labels": ROLE_LABELS,
        "roles": role_choices(principal),
        "form": form or {"role": "", "hours": str(container.invitations.default_hours)},
        "errors": errors or {},
        "max_hours": container.invitations.max_hours,
        "can_write": can_write,
        "me": principal.id,
    }
    return render(request, "pages/users.html", context, status_code=status_code)


def _user_page(
    request: Request,
    principal: Principal,
    container: Container,
    user: User,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "active": "users",
        "user": user,
        "role_labels": ROLE_LABELS,
        "roles": role_choices(principal),
        "errors": errors or {},
        "can_write": can(principal, Permission.USERS_WRITE),
        "manageable": Role(user.role) in grantable_roles(principal.role)
        and (principal.platform_admin or not user.platform_admin),
        "platform_guarded": user.platform_admin and not principal.platform_admin,
        "is_me": user.id == principal.id,
    }
    return render(request, "pages/user.html", context, status_code=status_code)


def _to_user(user_id: str, notice: str) -> Response:
    return RedirectResponse(f"/ui/users/{user_id}?notice={notice}", status_code=303)


@router.get("/users", dependencies=READ)
def users(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    cursor: str = "",
    limit: str = "",
    invitations_cursor: str = "",
) -> Response:
    return _users_page(
        request,
        principal,
        container,
        cursor=optional(cursor),
        limit=page_limit(limit),
        invitations_cursor=optional(invitations_cursor),
    )


@router.post("/users/invitations", dependencies=WRITE)
def invite_user(
    request: Request,
    principal: CurrentPrincipal,
    container: ContainerDep,
    role: FormText = "",
    hours: FormText = "",
) -> Response:
    """A one-time link for someone to join this tenant, shown on this page only."""
    form = {"role": role[:16], "hours": hours[:8]}
    try:
        issued = container.invitations.create_in_own_tenant(
            principal,
            role=role,
            hours=_hours(hours, container.invitations.default_hours),
            origin=str(request.base_url),
        )
    except ValidationFailed as exc:
        errors = field_errors(exc, known=_INVITE_FIELDS)
        return _users_page(request, principal, container, form=form, errors=errors, status_code=422)
    context = {
        "active": "users",
        "invitation": issued.invitation,
        "link": issued.link,
        "role_labels": ROLE_LABELS,
    }
    return render(request, "pages/user_invitation.html", context, status_code=201)


@router.post("/users/invitations/{invitation_id}/revoke", dependencies=WRITE)
def revoke_invitation(
    invitation_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    container.invitations.revoke(
        principal, tenant_id=principal.tenant_id, invitation_id=invitation_id
    )
    return RedirectResponse("/ui/users?notice=invitation_revoked", status_code=303)


@router.get("/users/{user_id}", dependencies=READ)
def user_detail(
    request: Request, user_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    return _user_page(request, principal, container, container.users.get(principal, user_id))


def _change(
    request: Request,
    principal: Principal,
    container: Container,
    user_id: str,
    notice: str,
    **changes: Any,
) -> Response:
    """Apply one change to a user; a refusal re-renders the user's page with why."""
    user = container.users.get(principal, user_id)  # 404 before anything else
    try:
        container.users.update(principal, user_id, **changes)
    except ValidationFailed as exc:
        errors = field_errors(exc, known={"role"})
        return _user_page(request, principal, container, user, errors=errors, status_code=422)
    except Conflict as exc:
        errors = {"_form": sentence(exc)}
        return _user_page(request, principal, container, user, errors=errors, status_code=409)
    return _to_user(user_id, notice)


@router.post("/users/{user_id}/role", dependencies=WRITE)
def change_role(
    request: Request,
    user_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    role: FormText = "",
) -> Response:
    return _change(
        request, principal, container, user_id, "user_role_changed", role=role, disabled=None
    )


@router.post("/users/{user_id}/disabled", dependencies=WRITE)
def set_disabled(
    request: Request,
    user_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    disabled: FormText = "",
) -> Response:
    off = disabled == "true"
    notice = "user_disabled" if off else "user_enabled"
    return _change(request, principal, container, user_id, notice, role=None, disabled=off)


@router.post("/users/{user_id}/two-step-required", dependencies=WRITE)
def require_two_step(
    request: Request,
    user_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    required: FormText = "",
) -> Response:
    on = required == "true"
    notice = "user_two_step_required" if on else "user_two_step_optional"
    return _change(
        request, principal, container, user_id, notice, role=None, disabled=None, require_totp=on
    )


@router.post("/users/{user_id}/reset-two-step", dependencies=WRITE)
def reset_two_step(
    request: Request, user_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    user = container.users.get(principal, user_id)
    try:
        container.users.reset_two_step(principal, user_id)
    except Conflict as exc:
        errors = {"_form": sentence(exc)}
        return _user_page(request, principal, container, user, errors=errors, status_code=409)
    return _to_user(user_id, "user_two_step_reset")
