"""Invitation schemas: what a platform administrator sends and sees, and what the
invitee sends and sees (never the token's hash; the token itself only once)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from gatepost.api.schemas.accounts import UserRole
from gatepost.api.schemas.base import Input, Output
from gatepost.domain.invitations import Invitation, InvitationState
from gatepost.security.permissions import Role

__all__ = [
    "InvitationAccept",
    "InvitationAccepted",
    "InvitationCheck",
    "InvitationCreate",
    "InvitationIssued",
    "InvitationPreview",
    "InvitationPublic",
    "TenantInvitationCreate",
]

_TOKEN = Field(min_length=1, max_length=200, description="The token from the invitation link.")


class InvitationCreate(Input):
    role: UserRole = Field(default=Role.ADMIN, description="admin (the default).")
    hours: int | None = Field(
        default=None,
        ge=1,
        le=24 * 14,
        description="Lifetime in hours (default: security.invitation_hours; at most "
        "security.invitation_max_hours).",
    )


class TenantInvitationCreate(Input):
    role: UserRole = Field(description="At most the caller's own role.")
    hours: int | None = Field(
        default=None,
        ge=1,
        le=24 * 14,
        description="Lifetime in hours (default: security.invitation_hours; at most "
        "security.invitation_max_hours).",
    )


class InvitationPublic(Output):
    id: str
    tenant_id: str
    role: UserRole
    state: InvitationState = Field(description="pending, used, revoked or expired.")
    created_by: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_by_user_id: str | None
    revoked_at: datetime | None

    @staticmethod
    def of(invitation: Invitation, state: InvitationState) -> InvitationPublic:
        return InvitationPublic(
            id=invitation.id,
            tenant_id=invitation.tenant_id,
            role=invitation.role,
            state=state,
            created_by=invitation.created_by,
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
            used_at=invitation.used_at,
            used_by_user_id=invitation.used_by_user_id,
            revoked_at=invitation.revoked_at,
        )


class InvitationIssued(InvitationPublic):
    token: str = Field(description="Shown once; only its hash is stored.")
    link: str = Field(description="Shown once: the page to accept it (token in the fragment).")


class InvitationCheck(Input):
    token: str = _TOKEN


class InvitationPreview(Output):
    tenant_name: str
    tenant_slug: str
    role: UserRole
    expires_at: datetime


class InvitationAccept(Input):
    token: str = _TOKEN
    username: str = Field(min_length=3, max_length=120)
    password: str = Field(min_length=1, max_length=1024)


class InvitationAccepted(Output):
    tenant_slug: str = Field(description="The organisation to sign in to.")
    user_id: str
    username: str
    role: UserRole
