"""Invitations that can no longer be accepted, written straight into the store.

``spent_invitations`` adds ``count`` of them to a tenant, a third each revoked, used
and expired, with ids that sort before any random id (``00..01``, ``00..02``, ...): a
listing that reads rows in id order and only then drops the spent ones sees them
first.
"""

from __future__ import annotations

from datetime import timedelta

from gatepost.domain.invitations import Invitation
from gatepost.services.container import Container

__all__ = ["spent_invitations"]


def spent_invitations(container: Container, *, tenant_id: str, user_id: str, count: int) -> None:
    """``count`` revoked, used (by ``user_id``) or expired invitations of ``tenant_id``."""
    now = container.clock.now()
    with container.tx.write() as uow:
        for n in range(1, count + 1):
            spent = Invitation(
                tenant_id=tenant_id,
                id=f"{n:032x}",
                role="guard",
                created_by="test",
                created_at=now - timedelta(hours=2),
                expires_at=now + timedelta(hours=-1 if n % 3 == 2 else 1),
            )
            uow.invitations.add(spent, token_hash=n.to_bytes(32, "big"))
            if n % 3 == 0:
                uow.invitations.revoke(tenant_id=tenant_id, invitation_id=spent.id, at=now)
            elif n % 3 == 1:
                uow.invitations.mark_used(
                    tenant_id=tenant_id, invitation_id=spent.id, user_id=user_id, at=now
                )
