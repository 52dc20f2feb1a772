"""SessionService: a signed-in user's own sessions: list the live ones, sign one out,
or sign out every one but the session in use (the account page and ``/auth/sessions``).

A session counts as live while it is neither revoked nor past its absolute lifetime nor
idle for longer than the idle timeout (the same rule :class:`AuthService` applies when
it authenticates a token). API keys and devices have no sessions.
"""

from __future__ import annotations

from datetime import timedelta

from gatepost.domain.accounts import UserSession
from gatepost.domain.ports import Clock
from gatepost.errors import NotFound
from gatepost.security.policy import Principal, PrincipalKind
from gatepost.services.audit import AuditRecord
from gatepost.services.uow import Transactions

__all__ = ["SessionService"]


class SessionService:
    def __init__(self, *, tx: Transactions, clock: Clock, idle: timedelta) -> None:
        self._tx = tx
        self._clock = clock
        self._idle = idle

    def live(self, principal: Principal) -> list[UserSession]:
        """The caller's live sessions (not revoked, not expired, not idle too long),
        newest first; none for an API key or a device."""
        if principal.kind is not PrincipalKind.USER:
            return []
        now = self._clock.now()
        with self._tx.read() as uow:
            live = uow.accounts.live_sessions(
                tenant_id=principal.tenant_id, user_id=principal.id, now=now
            )
        return [s for s in live if now - s.last_seen_at <= self._idle]

    def revoke(self, principal: Principal, session_id: str) -> None:
        """Sign out one of the caller's own sessions; anyone else's is NotFound."""
        now = self._clock.now()
        with self._tx.write() as uow:
            session = uow.accounts.get_session(tenant_id=principal.tenant_id, session_id=session_id)
            if (
                principal.kind is not PrincipalKind.USER
                or session is None
                or session.user_id != principal.id
            ):
                raise NotFound("session")
            uow.accounts.revoke_session(
                tenant_id=principal.tenant_id, session_id=session.id, at=now
            )
            uow.audit(
                principal.tenant_id,
                AuditRecord(
                    actor=principal.actor,
                    action="auth.session_revoked",
                    target=f"session:{session.id}",
                ),
            )

    def revoke_others(self, principal: Principal) -> int:
        """Sign out every session of the caller but the one in use; returns how many."""
        if principal.kind is not PrincipalKind.USER:
            return 0
        now = self._clock.now()
        with self._tx.write() as uow:
            live = uow.accounts.live_sessions(
                tenant_id=principal.tenant_id, user_id=principal.id, now=now
            )
            others = [s for s in live if s.id != principal.session_id]
            uow.accounts.revoke_sessions(
                tenant_id=principal.tenant_id,
                user_id=principal.id,
                at=now,
                keep=principal.session_id,
            )
            uow.audit(
                principal.tenant_id,
                AuditRecord(
                    actor=principal.actor,
                    action="auth.sessions_revoked",
                    target=f"user:{principal.id}",
                    details={"sessions": str(len(others))},
                ),
            )
        return len(others)
