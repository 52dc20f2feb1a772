"""Invitations: a one-time, expiring link that lets someone join a tenant with a role.

An invitation is made by a platform administrator (today: a tenant's first
administrator) and spent by the invitee, who chooses their own username and password.
Its token is shown once and only its hash is stored (``gatepost.security.tokens``), so
what the domain carries is the invitation's state, never the token. Whether an
invitation can still be accepted is a pure rule of its times (:func:`state_of`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from gatepost.domain.errors import InvitationRefused
from gatepost.errors import ValidationFailed

__all__ = [
    "Invitation",
    "InvitationState",
    "invitation_lifetime",
    "refuse_unless_pending",
    "state_of",
]

MIN_HOURS = 1


class InvitationState(StrEnum):
    PENDING = "pending"
    USED = "used"
    REVOKED = "revoked"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Invitation:
    """An invitation to join ``tenant_id`` with ``role`` (a user role's value).

    ``created_by`` is the audit actor who made it (``user:<id>`` or ``cli:operator``);
    ``used_by_user_id`` is the account its acceptance created."""

    tenant_id: str
    id: str
    role: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    used_by_user_id: str | None = None
    revoked_at: datetime | None = None


def state_of(invitation: Invitation, now: datetime) -> InvitationState:
    """Used and revoked are final; otherwise pending until ``expires_at`` (exclusive)."""
    if invitation.used_at is not None:
        return InvitationState.USED
    if invitation.revoked_at is not None:
        return InvitationState.REVOKED
    if now >= invitation.expires_at:
        return InvitationState.EXPIRED
    return InvitationState.PENDING


def refuse_unless_pending(invitation: Invitation, now: datetime) -> None:
    """InvitationRefused naming why, unless the invitation can still be accepted."""
    state = state_of(invitation, now)
    if state is not InvitationState.PENDING:
        raise InvitationRefused(state.value)


def invitation_lifetime(hours: int, *, max_hours: int) -> timedelta:
    """How long a new invitation lasts: ``hours`` within ``MIN_HOURS..max_hours``."""
    if not MIN_HOURS <= hours <= max_hours:
        raise ValidationFailed(
            "hours must be between %(min)s and %(max)s",
            field="hours",
            params={"min": MIN_HOURS, "max": max_hours},
        )
    return timedelta(hours=hours)
