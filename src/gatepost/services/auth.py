"""AuthService: login, tokens to principals, logout and passwords (the user's own
sessions are listed and revoked by :mod:`gatepost.services.sessions`, TOTP is set up by
:mod:`gatepost.services.two_step`).

Login answers the same for an unknown organisation, an unknown user, a disabled user,
a wrong password, and a right password with a missing or wrong one-time code: same
error, and a password hash is always verified (a dummy one when there is no account) so
timing does not tell them apart (SECURITY.md 17). Each of those failures counts towards
the login throttle.

Any token that does not authenticate (malformed, unknown, revoked, an expired session,
an API key or a device token) gets one error, :class:`~gatepost.errors.Unauthenticated`.
A session's last-use time is written at most every ``min(60 s, idle timeout / 4)``, so
an active session never times out and an idle one times out at most a quarter of the
idle timeout early, never late.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from gatepost.domain.accounts import User, UserSession
from gatepost.domain.ports import Clock
from gatepost.errors import AuthenticationFailed, NotFound, Unauthenticated, ValidationFailed
from gatepost.security import totp
from gatepost.security.csrf import csrf_token_for
from gatepost.security.password_policy import check_password_policy
from gatepost.security.passwords import Passwords
from gatepost.security.permissions import Role
from gatepost.security.policy import Principal, PrincipalKind
from gatepost.security.tokens import (
    ParsedToken,
    TokenKind,
    hash_token,
    issue_token,
    parse_token,
    tokens_equal,
)
from gatepost.services.audit import AuditRecord, AuditService
from gatepost.services.throttle import LoginThrottleService
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.store.ids import new_id

__all__ = ["AuthService", "LoginResult"]

log = logging.getLogger(__name__)

_INVALID = "invalid organisation, username, password or one-time code"
_SEEN_WRITE_INTERVAL = timedelta(seconds=60)

#: Records a last-use time in a write unit of work (None: recent enough already).
_Touch = Callable[[UnitOfWork], None] | None


@dataclass(frozen=True, repr=False)
class LoginResult:
    token: str
    csrf_token: str
    principal: Principal
    expires_at: datetime

    def __repr__(self) -> str:
        return f"LoginResult(principal={self.principal.actor})"


@dataclass(frozen=True)
class _Failure:
    """Why a login failed, for the audit log only: the caller always gets ``_INVALID``."""

    tenant_id: str | None
    user_id: str | None
    reason: str


def _stale(
    last_used: datetime | None, now: datetime, interval: timedelta = _SEEN_WRITE_INTERVAL
) -> bool:
    """Whether a last-use time is due to be written again (at most once per ``interval``)."""
    return last_used is None or now - last_used > interval


def _user_principal(user: User, *, session_id: str | None, tenant_name: str) -> Principal:
    return Principal(
        kind=PrincipalKind.USER,
        id=user.id,
        tenant_id=user.tenant_id,
        role=Role(user.role),
        name=user.username,
        platform_admin=user.platform_admin,
        session_id=session_id,
        tenant_name=tenant_name,
        totp_pending=user.totp_pending,
    )


class AuthService:
    def __init__(
        self,
        *,
        tx: Transactions,
        passwords: Passwords,
        clock: Clock,
        audit: AuditService,
        throttle: LoginThrottleService,
        idle: timedelta,
        absolute: timedelta,
        password_min_length: int,
    ) -> None:
        self._tx = tx
        self._passwords = passwords
        self._clock = clock
        self._audit = audit  # refusals only: they are kept although the login fails
        self._throttle = throttle
        self._idle = idle
        # A session's recorded last use lags its real last use by up to this much, so it
        # must be a small part of the idle timeout (see the module docstring).
        self._seen_interval = min(_SEEN_WRITE_INTERVAL, idle / 4)
        self._absolute = absolute
        self._min_length = password_min_length

    # -- login -----------------------------------------------------------------

    def login(
        self,
        *,
        tenant_slug: str,
        username: str,
        password: str,
        totp_code: str | None,
        client: str,
    ) -> LoginResult:
        slug = tenant_slug.strip().lower()
        username = username.strip().lower()
        account = f"{slug}/{username}"
        self._throttle.check(account=account, client=client)
        with self._tx.write() as uow:
            outcome = self._attempt(uow, slug, username, password, totp_code)
        if isinstance(outcome, LoginResult):
            self._throttle.succeeded(account=account)
            return outcome
        self._throttle.failed(account=account, client=client)
        if outcome.tenant_id is not None:
            self._audit.record_alone(
                tenant_id=outcome.tenant_id,
                record=AuditRecord(
                    actor=f"user:{outcome.user_id}" if outcome.user_id else "anonymous",
                    action="auth.login",
                    outcome="denied",
                    details={"reason": outcome.reason},
                ),
            )
        raise AuthenticationFailed(_INVALID)

    def _attempt(
        self,
        uow: UnitOfWork,
        slug: str,
        username: str,
        password: str,
        totp_code: str | None,
    ) -> LoginResult | _Failure:
        now = self._clock.now()
        tenant = uow.tenants.by_slug(slug)
        if tenant is not None and tenant.shredded:
            tenant = None  # a shredded tenant answers exactly like an unknown one
        stored = (
            uow.accounts.user_by_username(tenant_id=tenant.id, username=username)
            if tenant is not None
            else None
        )
        if tenant is None or stored is None:
            self._passwords.dummy_verify(password)
            return _Failure(tenant.id if tenant else None, None, "bad_credentials")
        user = stored.user
        ok, new_hash = self._passwords.verify(stored.password_hash, password)
        if not ok or user.disabled:
            return _Failure(tenant.id, user.id, "bad_credentials")
        if tenant.suspended:  # checked after the hash, so it answers like a bad password
            return _Failure(tenant.id, user.id, "tenant_suspended")
        if new_hash is not None:
            uow.accounts.rehash_password(
                tenant_id=user.tenant_id, user_id=user.id, password_hash=new_hash
            )
        if user.totp_enabled and stored.totp_sealed is not None:
            if not totp_code:
                return _Failure(tenant.id, user.id, "totp_missing")
            secret = uow.keys(user.tenant_id).open_text(
                stored.totp_sealed, table="users", column="totp", row_id=user.id
            )
            step = totp.verify_totp(
                secret, totp_code.strip(), now=now, last_step=stored.totp_last_step
            )
            if step is None or not uow.accounts.advance_totp_step(
                tenant_id=user.tenant_id, user_id=user.id, step=step
            ):
                return _Failure(tenant.id, user.id, "bad_totp")
        token, session = self._new_session(uow, user, now, action="auth.login")
        return LoginResult(
            token=token,
            csrf_token=csrf_token_for(token),
            principal=replace(
                _user_principal(user, session_id=session.id, tenant_name=tenant.name),
                tenant_timezone=tenant.timezone,
            ),
            expires_at=session.expires_at,
        )

    def _new_session(
        self, uow: UnitOfWork, user: User, now: datetime, *, action: str
    ) -> tuple[str, UserSession]:
        """A new session of the user: its token (given out once) and the session."""
        token = issue_token(TokenKind.SESSION, user.tenant_id)
        session = UserSession(
            tenant_id=user.tenant_id,
            id=new_id(),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + self._absolute,
        )
        uow.accounts.add_session(session, token_hash=hash_token(token))
        uow.audit(
            user.tenant_id,
            AuditRecord(actor=f"user:{user.id}", action=action, target=f"session:{session.id}"),
        )
        return token, session

    # -- tokens -> principals ----------------------------------------------------

    def authenticate(self, token: str) -> Principal:
        """Resolve a bearer or cookie token; raises AuthenticationFailed.

        Runs on every request, so it only reads (committed data, no write lock); the
        last-used time of a session, key or device is written at most once a minute (a
        session's more often when its idle timeout is short). Every refusal is the same
        :class:`Unauthenticated`, whatever kind of token it was and whatever was wrong.
        """
        parsed = parse_token(token)
        if parsed is None or parsed.kind is TokenKind.SETUP:
            raise Unauthenticated()
        now = self._clock.now()
        with self._tx.committed() as uow:
            tenant = uow.tenants.get(tenant_id=parsed.tenant_id)
            if tenant is None or tenant.shredded or tenant.suspended:
                raise Unauthenticated()
            if parsed.kind is TokenKind.SESSION:
                principal, touch = self._session_principal(uow, parsed, now, tenant.name)
            elif parsed.kind is TokenKind.API_KEY:
                principal, touch = self._api_key_principal(uow, parsed, now, tenant.name)
            else:
                principal, touch = self._device_principal(uow, parsed, now, tenant.name)
            principal = replace(principal, tenant_timezone=tenant.timezone)
        if touch is not None:
            with self._tx.write() as uow:
                touch(uow)
        return principal

    def _session_principal(
        self, uow: UnitOfWork, parsed: ParsedToken, now: datetime, tenant_name: str
    ) -> tuple[Principal, _Touch]:
        stored = uow.accounts.session_by_hash(
            tenant_id=parsed.tenant_id, token_hash=parsed.token_hash
        )
        if (
            stored is None
            or not tokens_equal(stored.token_hash, parsed.token_hash)
            or stored.session.revoked
            or stored.session.expires_at <= now
            or now - stored.session.last_seen_at > self._idle
        ):
            raise Unauthenticated()
        session = stored.session
        user = uow.accounts.get_user(tenant_id=session.tenant_id, user_id=session.user_id)
        if user is None or user.disabled:
            raise Unauthenticated()
        principal = _user_principal(user, session_id=session.id, tenant_name=tenant_name)
        if not _stale(session.last_seen_at, now, self._seen_interval):
            return principal, None
        return principal, lambda w: w.accounts.touch_session(
            tenant_id=session.tenant_id, session_id=session.id, now=now
        )

    @staticmethod
    def _api_key_principal(
        uow: UnitOfWork, parsed: ParsedToken, now: datetime, tenant_name: str
    ) -> tuple[Principal, _Touch]:
        key = uow.accounts.api_key_by_hash(tenant_id=parsed.tenant_id, token_hash=parsed.token_hash)
        if key is None or key.revoked or key.expired(now):
            raise Unauthenticated()
        principal = Principal(
            kind=PrincipalKind.API_KEY,
            id=key.id,
            tenant_id=key.tenant_id,
            role=Role(key.role),
            name=key.name,
            tenant_name=tenant_name,
        )
        if not _stale(key.last_used_at, now):
            return principal, None
        return principal, lambda w: w.accounts.touch_api_key(
            tenant_id=key.tenant_id, key_id=key.id, now=now
        )

    @staticmethod
    def _device_principal(
        uow: UnitOfWork, parsed: ParsedToken, now: datetime, tenant_name: str
    ) -> tuple[Principal, _Touch]:
        device = uow.devices.by_credential(
            tenant_id=parsed.tenant_id, credential_hash=parsed.token_hash
        )
        if device is None or device.revoked:
            raise Unauthenticated()
        principal = Principal(
            kind=PrincipalKind.DEVICE,
            id=device.id,
            tenant_id=device.tenant_id,
            role=Role.DEVICE,
            name=device.name,
            tenant_name=tenant_name,
            site_id=device.site_id,
            access_point_id=device.access_point_id,
        )
        if not _stale(device.last_seen_at, now):
            return principal, None
        return principal, lambda w: w.devices.touch(
            tenant_id=device.tenant_id, device_id=device.id, now=now
        )

    # -- logout, passwords, TOTP ---------------------------------------------------

    def logout(self, principal: Principal) -> None:
        if principal.session_id is None:
            return
        now = self._clock.now()
        with self._tx.write() as uow:
            uow.accounts.revoke_session(
                tenant_id=principal.tenant_id, session_id=principal.session_id, at=now
            )
            uow.audit(
                principal.tenant_id,
                AuditRecord(
                    actor=principal.actor,
                    action="auth.logout",
                    target=f"session:{principal.session_id}",
                ),
            )

    def change_password(
        self, principal: Principal, *, current: str, new: str, stay_signed_in: bool = False
    ) -> LoginResult | None:
        """Change one's own password; every session of the user is revoked. With
        ``stay_signed_in`` the caller gets a new session in place of the one it used
        (rotated, as at sign-in), so only the *other* places are signed out."""
        now = self._clock.now()
        with self._tx.write() as uow:
            stored = uow.accounts.stored_user(tenant_id=principal.tenant_id, user_id=principal.id)
            if stored is None:
                raise NotFound("user")
            user = stored.user
            ok, _ = self._passwords.verify(stored.password_hash, current)
            if not ok:
                raise ValidationFailed("the current password is wrong", field="current_password")
            tenant = uow.tenants.get(tenant_id=user.tenant_id)
            check_password_policy(
                new,
                min_length=self._min_length,
                username=user.username,
                organisation=(tenant.name, tenant.slug) if tenant else (),
                field="new_password",
            )
            uow.accounts.set_password(
                tenant_id=user.tenant_id,
                user_id=user.id,
                password_hash=self._passwords.hash(new),
                changed_at=now,
            )
            uow.accounts.revoke_sessions(tenant_id=user.tenant_id, user_id=user.id, at=now)
            uow.audit(
                principal.tenant_id,
                AuditRecord(
                    actor=principal.actor,
                    action="auth.password_changed",
                    target=f"user:{user.id}",
                ),
            )
            if not stay_signed_in or principal.session_id is None:
                return None
            token, session = self._new_session(uow, user, now, action="auth.session_rotated")
        return LoginResult(
            token=token,
            csrf_token=csrf_token_for(token),
            principal=replace(principal, session_id=session.id),
            expires_at=session.expires_at,
        )
