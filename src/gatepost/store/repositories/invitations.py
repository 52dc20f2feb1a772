"""Invitations of a tenant (rows in, ``domain.invitations.Invitation`` out).

The token's SHA-256 goes in with :meth:`InvitationRepository.add` and is only ever
matched against (:meth:`InvitationRepository.by_token`); it never comes back out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gatepost.domain.invitations import Invitation
from gatepost.store.tables import InvitationRow

__all__ = ["InvitationRepository"]


def _invitation(row: InvitationRow) -> Invitation:
    return Invitation(
        tenant_id=row.tenant_id,
        id=row.id,
        role=row.role,
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
        used_by_user_id=row.used_by_user_id,
        revoked_at=row.revoked_at,
    )


class InvitationRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, invitation: Invitation, *, token_hash: bytes) -> None:
        self._session.add(
            InvitationRow(
                tenant_id=invitation.tenant_id,
                id=invitation.id,
                token_hash=token_hash,
                role=invitation.role,
                created_by=invitation.created_by,
                created_at=invitation.created_at,
                expires_at=invitation.expires_at,
                used_at=None,
                used_by_user_id=None,
                revoked_at=None,
            )
        )
        self._session.flush()

    def get(self, *, tenant_id: str, invitation_id: str) -> Invitation | None:
        row = self._session.get(InvitationRow, (tenant_id, invitation_id))
        return _invitation(row) if row is not None else None

    def by_token(
        self, *, tenant_id: str, token_hash: bytes, lock: bool = False
    ) -> Invitation | None:
        """The tenant's invitation with this token hash; with ``lock``, locked until the
        transaction ends (two acceptances of one link cannot both pass)."""
        query = select(InvitationRow).where(
            InvitationRow.tenant_id == tenant_id, InvitationRow.token_hash == token_hash
        )
        row = self._session.scalars(query.with_for_update() if lock else query).one_or_none()
        return _invitation(row) if row is not None else None

    def list(self, *, tenant_id: str, limit: int, after: str | None) -> Sequence[Invitation]:
        """The tenant's invitations in id order (the cursor order of the listings)."""
        query = select(InvitationRow).where(InvitationRow.tenant_id == tenant_id)
        if after is not None:
            query = query.where(InvitationRow.id > after)
        rows = self._session.scalars(query.order_by(InvitationRow.id).limit(limit))
        return [_invitation(row) for row in rows]

    def list_pending(
        self, *, tenant_id: str, now: datetime, limit: int, after: str | None
    ) -> Sequence[Invitation]:
        """The tenant's pending invitations (not used, not revoked, not expired at
        ``now``) in id order, filtered in the query so a page is always full."""
        query = select(InvitationRow).where(
            InvitationRow.tenant_id == tenant_id,
            InvitationRow.used_at.is_(None),
            InvitationRow.revoked_at.is_(None),
            InvitationRow.expires_at > now,
        )
        if after is not None:
            query = query.where(InvitationRow.id > after)
        rows = self._session.scalars(query.order_by(InvitationRow.id).limit(limit))
        return [_invitation(row) for row in rows]

    def mark_used(self, *, tenant_id: str, invitation_id: str, user_id: str, at: datetime) -> bool:
        """Spend a pending invitation; False if it was used or revoked meanwhile."""
        return self._settle(tenant_id, invitation_id, used_at=at, used_by_user_id=user_id)

    def revoke(self, *, tenant_id: str, invitation_id: str, at: datetime) -> bool:
        """Revoke a pending invitation; False if it was used or revoked meanwhile."""
        return self._settle(tenant_id, invitation_id, revoked_at=at)

    def _settle(self, tenant_id: str, invitation_id: str, **values: object) -> bool:
        """Set ``values`` on the invitation only while it is pending (one conditional
        update, so of two transactions settling it at once only one can)."""
        result = self._session.execute(
            update(InvitationRow)
            .where(
                InvitationRow.tenant_id == tenant_id,
                InvitationRow.id == invitation_id,
                InvitationRow.used_at.is_(None),
                InvitationRow.revoked_at.is_(None),
            )
            .values(**values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
