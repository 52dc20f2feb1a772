"""TwoStepService: a user sets up TOTP for themselves: a new secret is stored as
pending, and becomes active once a code from it is confirmed (login then asks for a
code, :mod:`gatepost.services.auth`).
"""

from __future__ import annotations

from dataclasses import dataclass

from gatepost.domain.ports import Clock
from gatepost.errors import NotFound, ValidationFailed
from gatepost.security import totp
from gatepost.security.policy import Principal
from gatepost.services.audit import AuditRecord
from gatepost.services.uow import Transactions

__all__ = ["TotpEnrolment", "TwoStepService"]


@dataclass(frozen=True, repr=False)
class TotpEnrolment:
    secret: str
    uri: str


class TwoStepService:
    def __init__(self, *, tx: Transactions, clock: Clock) -> None:
        self._tx = tx
        self._clock = clock

    def begin(self, principal: Principal, *, current_code: str | None = None) -> TotpEnrolment:
        """Store a new TOTP secret as *pending*; it replaces nothing until confirmed.

        If TOTP is already on, starting over needs a valid current code, so a stolen
        session alone can neither switch TOTP off nor swap in an attacker's secret.
        """
        secret = totp.new_totp_secret()
        now = self._clock.now()
        with self._tx.write() as uow:
            stored = uow.accounts.stored_user(tenant_id=principal.tenant_id, user_id=principal.id)
            if stored is None:
                raise NotFound("user")
            user = stored.user
            keys = uow.keys(user.tenant_id)
            if user.totp_enabled and stored.totp_sealed is not None:
                active = keys.open_text(
                    stored.totp_sealed, table="users", column="totp", row_id=user.id
                )
                step = totp.verify_totp(
                    active, (current_code or "").strip(), now=now, last_step=stored.totp_last_step
                )
                if step is None or not uow.accounts.advance_totp_step(
                    tenant_id=user.tenant_id, user_id=user.id, step=step
                ):
                    raise ValidationFailed(
                        "enter a current code from your authenticator app to replace it",
                        field="current_code",
                    )
            uow.accounts.set_totp_pending(
                tenant_id=user.tenant_id,
                user_id=user.id,
                sealed=keys.seal_text(secret, table="users", column="totp_pending", row_id=user.id),
            )
        return TotpEnrolment(
            secret=secret, uri=totp.provisioning_uri(secret, account=user.username)
        )

    def confirm(self, principal: Principal, *, code: str) -> None:
        """Activate the pending secret with a code from it."""
        now = self._clock.now()
        with self._tx.write() as uow:
            stored = uow.accounts.stored_user(tenant_id=principal.tenant_id, user_id=principal.id)
            if stored is None or stored.totp_pending_sealed is None:
                raise ValidationFailed("start TOTP enrolment first", field="code")
            user = stored.user
            keys = uow.keys(user.tenant_id)
            secret = keys.open_text(
                stored.totp_pending_sealed, table="users", column="totp_pending", row_id=user.id
            )
            last = stored.totp_last_step if user.totp_enabled else None
            step = totp.verify_totp(secret, code.strip(), now=now, last_step=last)
            if step is None:
                raise ValidationFailed("the one-time code is wrong", field="code")
            uow.accounts.enable_totp(
                tenant_id=user.tenant_id,
                user_id=user.id,
                sealed=keys.seal_text(secret, table="users", column="totp", row_id=user.id),
                step=step,
            )
            uow.audit(
                principal.tenant_id,
                AuditRecord(
                    actor=principal.actor,
                    action="auth.totp_enabled",
                    target=f"user:{user.id}",
                ),
            )
