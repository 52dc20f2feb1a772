"""Setup, login, session, password, TOTP, user and API key schemas."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from gatepost.api.schemas.base import Input, Output

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
    "UserUpdate",
]


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
    kind: str
    tenant_id: str
    tenant_name: str
    role: str
    name: str
    platform_admin: bool


class PasswordChange(Input):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


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
    role: str = Field(description="admin, operator, guard, hr or auditor.")


class UserUpdate(Input):
    role: str | None = None
    disabled: bool | None = None
    require_totp: bool | None = Field(
        default=None,
        description="Require TOTP: until the user enrols, their sessions may only enrol.",
    )


class UserPublic(Output):
    id: str
    username: str
    role: str
    disabled: bool
    totp_enabled: bool
    totp_enforced: bool = Field(description="An administrator requires TOTP for this user.")
    created_at: datetime


class ApiKeyCreate(Input):
    name: str = Field(min_length=1, max_length=120)
    role: str


class ApiKeyPublic(Output):
    id: str
    name: str
    role: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyIssued(ApiKeyPublic):
    token: str = Field(description="Shown once; store it securely.")
