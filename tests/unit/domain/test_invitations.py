"""The invitation rules: its state from its times, and the lifetime bounds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from gatepost.domain.errors import InvitationRefused
from gatepost.domain.invitations import (
    Invitation,
    InvitationState,
    invitation_lifetime,
    refuse_unless_pending,
    state_of,
)
from gatepost.errors import ValidationFailed

T0 = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
PENDING = Invitation(
    tenant_id="t" * 32,
    id="i" * 32,
    role="admin",
    created_by="user:x",
    created_at=T0,
    expires_at=T0 + timedelta(hours=72),
)


def test_state_is_pending_until_expiry_then_expired() -> None:
    assert state_of(PENDING, T0) is InvitationState.PENDING
    assert state_of(PENDING, PENDING.expires_at - timedelta(seconds=1)) is InvitationState.PENDING
    assert state_of(PENDING, PENDING.expires_at) is InvitationState.EXPIRED


def test_used_and_revoked_are_final_whatever_the_time() -> None:
    used = replace(PENDING, used_at=T0, used_by_user_id="u" * 32)
    revoked = replace(PENDING, revoked_at=T0)
    for now in (T0, PENDING.expires_at + timedelta(days=1)):
        assert state_of(used, now) is InvitationState.USED
        assert state_of(revoked, now) is InvitationState.REVOKED


@pytest.mark.parametrize(
    ("invitation", "now", "reason"),
    [
        (replace(PENDING, used_at=T0), T0, "used"),
        (replace(PENDING, revoked_at=T0), T0, "revoked"),
        (PENDING, T0 + timedelta(hours=72), "expired"),
    ],
)
def test_refusal_names_the_reason_when_not_pending(
    invitation: Invitation, now: datetime, reason: str
) -> None:
    with pytest.raises(InvitationRefused) as refused:
        refuse_unless_pending(invitation, now)
    assert refused.value.reason == reason
    assert refused.value.field == "token"
    refuse_unless_pending(PENDING, T0)  # a pending one passes


@pytest.mark.parametrize("hours", [0, -1, 169])
def test_lifetime_outside_bounds_is_refused_naming_hours(hours: int) -> None:
    with pytest.raises(ValidationFailed) as refused:
        invitation_lifetime(hours, max_hours=168)
    assert refused.value.field == "hours"


def test_lifetime_within_bounds_is_that_many_hours() -> None:
    assert invitation_lifetime(1, max_hours=168) == timedelta(hours=1)
    assert invitation_lifetime(168, max_hours=168) == timedelta(hours=168)
