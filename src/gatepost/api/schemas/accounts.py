"""Setup, login, session, password, TOTP, user and API key schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field, WithJsonSchema

from gatepost.api.schemas.base import Input, Output
from gatepost.security.permissions import USER_ROLES, Role
from gatepost.security.policy import PrincipalKind
from gatepost.services.users import API_KEY_MAX_DAYS

__all__ = [
    "ApiKeyCreate",
    "ApiKeyIssued",
    "ApiKeyPublic",
    "LoginRequest",
    "LoginResponse",
    "MePublic",
    "PasswordChange",
    "SetupRequest",
    "SetupResponse",
    "SetupStatus",
    "TotpBegin",
    "TotpConfirm",
    "TotpEnrolmentPublic",
    "UserCreate",
    "UserPublic",
    "UserRole",
    "UserUpdate",
]


def _user_role(role: Role) -> Role:
    if role not in USER_ROLES:
        raise ValueError("the device role is for devices only")
    return role


UserRole = Annotated[
    Role,
    AfterValidator(_user_role),
    WithJsonSchema(
        {
            "type": "string",
            "enum": sorted(role.value for role in USER_ROLES),
            "title": "UserRole",
            "description": "A role a user or API key may hold (every role but device).",
        }
    ),
]
"""A :class:`Role` other than ``device``, declared as that enumeration in OpenAPI."""


class SetupStatus(Output):
    needed: bool


class SetupRequest(Input):
    token: str = Field(min_length=1, max_length=200)
    tenant_name: str = Field(min_length=1, max_length=200)
    tenant_slug: str = Field(min_length=3, max_length=40)
    username: str = Field(min_length=3, max_length=120)
    password: str = Field(min_length=1, max_length=1024)


class SetupResponse(Output):
    tenant_id: str
    user_id: str


class LoginRequest(Input):
    tenant: str = Field(min_length=1, max_length=40, description="Organisation slug.")
    username: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=1, max_length=1024)
    totp: str | None = Field(default=None, max_length=10)


class LoginResponse(Output):
    token: str = Field(description="Session token; also set as an HttpOnly cookie.")
    csrf_token: str = Field(description="Send as X-CSRF-Token on cookie-authenticated writes.")
    expires_at: datetime


class MePublic(Output):
    id: str
    kind: PrincipalKind
    tenant_id: str
    tenant_name: str
    role: Role
    name: str
    platform_admin: bool


class PasswordChange(Input):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class SessionPublic(Output):
    """One of the caller's own sign-in sessions (never its token)."""

    id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    current: bool = Field(description="The session this request came with.")


class SessionsRevoked(Output):
    revoked: int = Field(description="How many other sessions were signed out.")


class TotpEnrolmentPublic(Output):
    secret: str
    uri: str


class TotpBegin(Input):
    current_code: str | None = Field(
        default=None, pattern=r"^\d{6}$", description="Required when TOTP is already on."
    )


class TotpConfirm(Input):
    code: str = Field(min_length=6, max_length=6, pattern=r"^\d{6}$")


class UserCreate(Input):
    username: str = Field(min_length=3, max_length=120)
    password: str = Field(min_length=1, max_length=1024)
    role: UserRole


class UserUpdate(Input):
    role: UserRole | None = None
    disabled: bool | None = None
    require_totp: bool | None = Field(
        default=None,
        description="Require TOTP: until the user enrols, their sessions may only enrol.",
    )


class UserPublic(Output):
    id: str
    username: str
    role: UserRole
    disabled: bool
    totp_enabled: bool
    totp_enforced: bool = Field(description="An administrator requires TOTP for this user.")
    created_at: datetime


class ApiKeyCreate(Input):
    name: str = Field(min_length=1, max_length=120)
    role: UserRole = Field(description="The key's scope: at most the caller's own role.")
    expires_in_days: int | None = Field(
        default=None,
        ge=1,
        le=API_KEY_MAX_DAYS,
        description="Days until the key stops working (none: it never expires).",
    )


class ApiKeyPublic(Output):
    id: str
    name: str
    role: UserRole
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = Field(description="Updated at most once a minute.")
    revoked_at: datetime | None


class ApiKeyIssued(ApiKeyPublic):
    token: str = Field(description="Shown once; store it securely.")
