"""First-run setup, login, logout, the current principal, password and TOTP."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from gatepost.api.deps import (
    ContainerDep,
    CurrentPrincipal,
    GuardedRoute,
    clear_session_cookie,
    public,
    require,
    set_session_cookie,
)
from gatepost.api.routes.common import IdPath
from gatepost.api.schemas.accounts import (
    LoginRequest,
    LoginResponse,
    MePublic,
    PasswordChange,
    SessionPublic,
    SessionsRevoked,
    SetupRequest,
    SetupResponse,
    SetupStatus,
    TotpBegin,
    TotpConfirm,
    TotpEnrolmentPublic,
)
from gatepost.api.schemas.base import ERROR_RESPONSES
from gatepost.security.permissions import Permission

router = APIRouter(
    route_class=GuardedRoute, prefix="/api/v1", tags=["auth"], responses=ERROR_RESPONSES
)


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/setup", dependencies=[public("first-run setup")])
def setup_status(container: ContainerDep) -> SetupStatus:
    return SetupStatus(needed=container.setup.needed())


@router.post("/setup", status_code=201, dependencies=[public("first-run setup")])
def complete_setup(body: SetupRequest, container: ContainerDep) -> SetupResponse:
    result = container.setup.complete(
        token=body.token,
        tenant_name=body.tenant_name,
        tenant_slug=body.tenant_slug,
        username=body.username,
        password=body.password,
    )
    return SetupResponse(tenant_id=result.tenant_id, user_id=result.user_id)


@router.post("/auth/login", dependencies=[public("login")])
def login(
    body: LoginRequest, request: Request, response: Response, container: ContainerDep
) -> LoginResponse:
    result = container.auth.login(
        tenant_slug=body.tenant,
        username=body.username,
        password=body.password,
        totp_code=body.totp,
        client=client_of(request),
    )
    set_session_cookie(response, result.token, container)
    return LoginResponse(
        token=result.token, csrf_token=result.csrf_token, expires_at=result.expires_at
    )


@router.post("/auth/logout", status_code=204, dependencies=[require(Permission.ACCOUNT_SELF)])
def logout(principal: CurrentPrincipal, response: Response, container: ContainerDep) -> None:
    container.auth.logout(principal)
    clear_session_cookie(response)


@router.get("/auth/me", dependencies=[require(Permission.ACCOUNT_SELF)])
def me(principal: CurrentPrincipal) -> MePublic:
    return MePublic(
        id=principal.id,
        kind=principal.kind.value,
        tenant_id=principal.tenant_id,
        tenant_name=principal.tenant_name,
        role=principal.role.value,
        name=principal.name,
        platform_admin=principal.platform_admin,
    )


@router.post("/auth/password", status_code=204, dependencies=[require(Permission.ACCOUNT_SELF)])
def change_password(
    body: PasswordChange, principal: CurrentPrincipal, response: Response, container: ContainerDep
) -> None:
    container.auth.change_password(principal, current=body.current_password, new=body.new_password)
    clear_session_cookie(response)


@router.get("/auth/sessions", dependencies=[require(Permission.ACCOUNT_SELF)])
def list_sessions(principal: CurrentPrincipal, container: ContainerDep) -> list[SessionPublic]:
    """The caller's live sessions, newest first (none for an API key)."""
    return [
        SessionPublic(
            id=s.id,
            created_at=s.created_at,
            last_seen_at=s.last_seen_at,
            expires_at=s.expires_at,
            current=s.id == principal.session_id,
        )
        for s in container.sessions.live(principal)
    ]


@router.post("/auth/sessions/revoke-others", dependencies=[require(Permission.ACCOUNT_SELF)])
def revoke_other_sessions(principal: CurrentPrincipal, container: ContainerDep) -> SessionsRevoked:
    """Sign out everywhere but here."""
    return SessionsRevoked(revoked=container.sessions.revoke_others(principal))


@router.post(
    "/auth/sessions/{session_id}/revoke",
    status_code=204,
    dependencies=[require(Permission.ACCOUNT_SELF)],
)
def revoke_session(
    session_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> None:
    """Sign out one of the caller's own sessions; another user's answers 404."""
    container.sessions.revoke(principal, session_id)


@router.post("/auth/totp", dependencies=[require(Permission.ACCOUNT_SELF)])
def begin_totp(
    principal: CurrentPrincipal, container: ContainerDep, body: TotpBegin | None = None
) -> TotpEnrolmentPublic:
    """Start (or replace) TOTP; confirm with a code from the new secret."""
    enrolment = container.two_step.begin(
        principal, current_code=body.current_code if body else None
    )
    return TotpEnrolmentPublic(secret=enrolment.secret, uri=enrolment.uri)


@router.post("/auth/totp/confirm", status_code=204, dependencies=[require(Permission.ACCOUNT_SELF)])
def confirm_totp(body: TotpConfirm, principal: CurrentPrincipal, container: ContainerDep) -> None:
    container.two_step.confirm(principal, code=body.code)
