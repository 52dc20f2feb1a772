"""Staff users and API keys of the caller's tenant.

Roles are granted (to users and keys) only up to the caller's own; an API key may
expire (``expires_in_days``) and is refused like an unknown one after that."""

from __future__ import annotations

from fastapi import APIRouter

from gatepost.api.deps import ContainerDep, CurrentPrincipal, GuardedRoute, require
from gatepost.api.routes.common import CursorQuery, IdPath, LimitQuery
from gatepost.api.schemas.accounts import (
    ApiKeyCreate,
    ApiKeyIssued,
    ApiKeyPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from gatepost.api.schemas.base import ERROR_RESPONSES, PagePublic
from gatepost.security.permissions import Permission

router = APIRouter(
    route_class=GuardedRoute, prefix="/api/v1", tags=["users"], responses=ERROR_RESPONSES
)


@router.get("/users", dependencies=[require(Permission.USERS_READ)])
def list_users(
    principal: CurrentPrincipal,
    container: ContainerDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> PagePublic[UserPublic]:
    page = container.users.list(principal, limit=limit, after=cursor)
    return PagePublic.of(page, UserPublic)


@router.post("/users", status_code=201, dependencies=[require(Permission.USERS_WRITE)])
def create_user(
    body: UserCreate, principal: CurrentPrincipal, container: ContainerDep
) -> UserPublic:
    user = container.users.create(
        principal, username=body.username, password=body.password, role=body.role
    )
    return UserPublic.model_validate(user)


@router.get("/users/{user_id}", dependencies=[require(Permission.USERS_READ)])
def get_user(user_id: IdPath, principal: CurrentPrincipal, container: ContainerDep) -> UserPublic:
    return UserPublic.model_validate(container.users.get(principal, user_id))


@router.patch("/users/{user_id}", dependencies=[require(Permission.USERS_WRITE)])
def update_user(
    user_id: IdPath, body: UserUpdate, principal: CurrentPrincipal, container: ContainerDep
) -> UserPublic:
    user = container.users.update(
        principal, user_id, role=body.role, disabled=body.disabled, require_totp=body.require_totp
    )
    return UserPublic.model_validate(user)


@router.post("/users/{user_id}/reset-two-step", dependencies=[require(Permission.USERS_WRITE)])
def reset_two_step(
    user_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> UserPublic:
    """Turn the user's two-step verification off and sign them out everywhere (a lost
    phone); they enrol again at their next sign-in if two-step is required of them."""
    return UserPublic.model_validate(container.users.reset_two_step(principal, user_id))


@router.get("/api-keys", dependencies=[require(Permission.USERS_READ)])
def list_api_keys(principal: CurrentPrincipal, container: ContainerDep) -> list[ApiKeyPublic]:
    return [ApiKeyPublic.model_validate(k) for k in container.users.list_api_keys(principal)]


@router.post("/api-keys", status_code=201, dependencies=[require(Permission.USERS_WRITE)])
def create_api_key(
    body: ApiKeyCreate, principal: CurrentPrincipal, container: ContainerDep
) -> ApiKeyIssued:
    issued = container.users.create_api_key(
        principal, name=body.name, role=body.role, expires_in_days=body.expires_in_days
    )
    return ApiKeyIssued.model_validate(
        {**ApiKeyPublic.model_validate(issued.key).model_dump(), "token": issued.token}
    )


@router.post("/api-keys/{key_id}/revoke", dependencies=[require(Permission.USERS_WRITE)])
def revoke_api_key(
    key_id: IdPath, principal: CurrentPrincipal, container: ContainerDep
) -> ApiKeyPublic:
    return ApiKeyPublic.model_validate(container.users.revoke_api_key(principal, key_id))
