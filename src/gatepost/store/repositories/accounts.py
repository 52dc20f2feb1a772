"""Users, login sessions, API keys and setup tokens (rows in, dataclasses out).

What leaves the account services is ``domain.accounts`` (``User``, ``UserSession``,
``ApiKey``). What only the services need, because it holds a hash or a sealed secret,
comes as a stored record defined here (``StoredUser``, ``StoredSession``,
``StoredSetupToken``), whose ``repr`` hides those values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from gatepost.domain.accounts import ApiKey, User, UserSession
from gatepost.store.tables import ApiKey as ApiKeyRow
from gatepost.store.tables import SetupToken as SetupTokenRow
from gatepost.store.tables import User as UserRow
from gatepost.store.tables import UserSession as UserSessionRow

__all__ = ["AccountRepository", "StoredSession", "StoredSetupToken", "StoredUser"]


@dataclass(frozen=True)
class StoredUser:
    """A user with the secrets login and TOTP need (sealed TOTP secrets, by generation)."""

    user: User
    password_hash: str = field(repr=False)
    totp_sealed: bytes | None = field(default=None, repr=False)
    totp_pending_sealed: bytes | None = field(default=None, repr=False)
    totp_last_step: int | None = None


@dataclass(frozen=True)
class StoredSession:
    """A session with the SHA-256 of its token."""

    session: UserSession
    token_hash: bytes = field(repr=False)


@dataclass(frozen=True)
class StoredSetupToken:
    """A one-time first-run setup token (not tenant-owned: it creates the first tenant)."""

    id: str
    token_hash: bytes = field(repr=False)
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


def _user(row: UserRow) -> User:
    return User(
        tenant_id=row.tenant_id,
        id=row.id,
        username=row.username,
        role=row.role,
        created_at=row.created_at,
        password_changed_at=row.password_changed_at,
        platform_admin=row.platform_admin,
        disabled=row.disabled,
        totp_enabled=row.totp_enabled,
        totp_enforced=row.totp_enforced,
    )


def _stored_user(row: UserRow) -> StoredUser:
    return StoredUser(
        user=_user(row),
        password_hash=row.password_hash,
        totp_sealed=row.totp_sealed,
        totp_pending_sealed=row.totp_pending_sealed,
        totp_last_step=row.totp_last_step,
    )


def _session(row: UserSessionRow) -> UserSession:
    return UserSession(
        tenant_id=row.tenant_id,
        id=row.id,
        user_id=row.user_id,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


def _api_key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        tenant_id=row.tenant_id,
        id=row.id,
        name=row.name,
        role=row.role,
        created_by=row.created_by,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
        expires_at=row.expires_at,
    )


class AccountRepository:
    """A tenant's users, sessions and API keys; the install's setup tokens."""

    def __init__(self, session: Session) -> None:
        self._session = session

    # -- users ----------------------------------------------------------------------

    def add_user(self, user: User, *, password_hash: str) -> None:
        self._session.add(
            UserRow(
                tenant_id=user.tenant_id,
                id=user.id,
                username=user.username,
                password_hash=password_hash,
                role=user.role,
                platform_admin=user.platform_admin,
                totp_sealed=None,
                totp_pending_sealed=None,
                totp_enabled=False,
                totp_enforced=user.totp_enforced,
                totp_last_step=None,
                disabled=user.disabled,
                created_at=user.created_at,
                password_changed_at=user.password_changed_at,
            )
        )
        self._session.flush()

    def get_user(self, *, tenant_id: str, user_id: str) -> User | None:
        row = self._session.get(UserRow, (tenant_id, user_id))
        return _user(row) if row is not None else None

    def stored_user(self, *, tenant_id: str, user_id: str) -> StoredUser | None:
        """The user with its password hash and sealed TOTP secrets."""
        row = self._session.get(UserRow, (tenant_id, user_id))
        return _stored_user(row) if row is not None else None

    def user_by_username(self, *, tenant_id: str, username: str) -> StoredUser | None:
        row = self._session.scalars(
            select(UserRow).where(UserRow.tenant_id == tenant_id, UserRow.username == username)
        ).one_or_none()
        return _stored_user(row) if row is not None else None

    def list_users(self, *, tenant_id: str, limit: int, after: str | None) -> list[User]:
        query = select(UserRow).where(UserRow.tenant_id == tenant_id).order_by(UserRow.id)
        if after:
            query = query.where(UserRow.id > after)
        return [_user(row) for row in self._session.scalars(query.limit(limit))]

    def admin_exists(self) -> bool:
        """Whether any tenant has an enabled administrator (setup is then complete)."""
        count = self._session.scalar(
            select(func.count())
            .select_from(UserRow)
            .where(UserRow.role == "admin", UserRow.disabled.is_(False))
        )
        return bool(count)

    def platform_tenant_ids(self) -> list[str]:
        """Tenants whose users include a platform administrator (the operator's own)."""
        rows = self._session.scalars(
            select(UserRow.tenant_id).where(UserRow.platform_admin.is_(True)).distinct()
        ).all()
        return sorted(rows)

    def _update_user(self, tenant_id: str, user_id: str, **values: object) -> None:
        self._session.execute(
            update(UserRow)
            .where(UserRow.tenant_id == tenant_id, UserRow.id == user_id)
            .values(**values)
        )

    def set_password(
        self, *, tenant_id: str, user_id: str, password_hash: str, changed_at: datetime
    ) -> None:
        """A new password (the user chose it at ``changed_at``)."""
        self._update_user(
            tenant_id, user_id, password_hash=password_hash, password_changed_at=changed_at
        )

    def rehash_password(self, *, tenant_id: str, user_id: str, password_hash: str) -> None:
        """The same password under new hash parameters (not a password change)."""
        self._update_user(tenant_id, user_id, password_hash=password_hash)

    def set_role(self, *, tenant_id: str, user_id: str, role: str) -> None:
        self._update_user(tenant_id, user_id, role=role)

    def set_disabled(self, *, tenant_id: str, user_id: str, disabled: bool) -> None:
        self._update_user(tenant_id, user_id, disabled=disabled)

    def set_totp_enforced(self, *, tenant_id: str, user_id: str, enforced: bool) -> None:
        self._update_user(tenant_id, user_id, totp_enforced=enforced)

    def set_totp_pending(self, *, tenant_id: str, user_id: str, sealed: bytes) -> None:
        """Store a TOTP secret awaiting confirmation (the active one, if any, stays)."""
        self._update_user(tenant_id, user_id, totp_pending_sealed=sealed)

    def enable_totp(self, *, tenant_id: str, user_id: str, sealed: bytes, step: int) -> None:
        """The confirmed secret becomes the active one; ``step`` is its code just used."""
        self._update_user(
            tenant_id,
            user_id,
            totp_sealed=sealed,
            totp_pending_sealed=None,
            totp_last_step=step,
            totp_enabled=True,
        )

    def reset_totp(self, *, tenant_id: str, user_id: str) -> None:
        """Forget the user's TOTP secrets (active and pending): two-step is off."""
        self._update_user(
            tenant_id,
            user_id,
            totp_sealed=None,
            totp_pending_sealed=None,
            totp_last_step=None,
            totp_enabled=False,
        )

    def advance_totp_step(self, *, tenant_id: str, user_id: str, step: int) -> bool:
        """Record that the code of time step ``step`` was used.

        False when that step or a later one was already used: checked and written in
        one statement, so two requests cannot both spend the same code.
        """
        result = self._session.execute(
            update(UserRow)
            .where(
                UserRow.tenant_id == tenant_id,
                UserRow.id == user_id,
                or_(UserRow.totp_last_step.is_(None), UserRow.totp_last_step < step),
            )
            .values(totp_last_step=step)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # -- sessions -------------------------------------------------------------------

    def add_session(self, session: UserSession, *, token_hash: bytes) -> None:
        self._session.add(
            UserSessionRow(
                tenant_id=session.tenant_id,
                id=session.id,
                user_id=session.user_id,
                token_hash=token_hash,
                created_at=session.created_at,
                last_seen_at=session.last_seen_at,
                expires_at=session.expires_at,
                revoked_at=session.revoked_at,
            )
        )
        self._session.flush()

    def session_by_hash(self, *, tenant_id: str, token_hash: bytes) -> StoredSession | None:
        row = self._session.scalars(
            select(UserSessionRow).where(
                UserSessionRow.tenant_id == tenant_id, UserSessionRow.token_hash == token_hash
            )
        ).one_or_none()
        return StoredSession(_session(row), row.token_hash) if row is not None else None

    def get_session(self, *, tenant_id: str, session_id: str) -> UserSession | None:
        row = self._session.get(UserSessionRow, (tenant_id, session_id))
        return _session(row) if row is not None else None

    def live_sessions(self, *, tenant_id: str, user_id: str, now: datetime) -> list[UserSession]:
        """The user's sessions that are neither revoked nor past their absolute expiry,
        newest first (an idle one may still be listed: the caller knows the timeout)."""
        query = (
            select(UserSessionRow)
            .where(
                UserSessionRow.tenant_id == tenant_id,
                UserSessionRow.user_id == user_id,
                UserSessionRow.revoked_at.is_(None),
                UserSessionRow.expires_at > now,
            )
            .order_by(UserSessionRow.created_at.desc(), UserSessionRow.id)
        )
        return [_session(row) for row in self._session.scalars(query)]

    def revoke_session(self, *, tenant_id: str, session_id: str, at: datetime) -> None:
        """Revoke one session unless it already is (the first time stays)."""
        self._session.execute(
            update(UserSessionRow)
            .where(
                UserSessionRow.tenant_id == tenant_id,
                UserSessionRow.id == session_id,
                UserSessionRow.revoked_at.is_(None),
            )
            .values(revoked_at=at)
        )

    def revoke_sessions(
        self, *, tenant_id: str, user_id: str, at: datetime, keep: str | None = None
    ) -> None:
        """Revoke every live session of the user (but ``keep``, if given)."""
        query = (
            update(UserSessionRow)
            .where(
                UserSessionRow.tenant_id == tenant_id,
                UserSessionRow.user_id == user_id,
                UserSessionRow.revoked_at.is_(None),
            )
            .values(revoked_at=at)
        )
        if keep is not None:
            query = query.where(UserSessionRow.id != keep)
        self._session.execute(query)

    def touch_session(self, *, tenant_id: str, session_id: str, now: datetime) -> None:
        """Record that the session was used at ``now`` (the time never moves back)."""
        self._session.execute(
            update(UserSessionRow)
            .where(
                UserSessionRow.tenant_id == tenant_id,
                UserSessionRow.id == session_id,
                UserSessionRow.last_seen_at < now,
            )
            .values(last_seen_at=now)
        )

    # -- API keys -------------------------------------------------------------------

    def add_api_key(self, key: ApiKey, *, token_hash: bytes) -> None:
        self._session.add(
            ApiKeyRow(
                tenant_id=key.tenant_id,
                id=key.id,
                name=key.name,
                role=key.role,
                token_hash=token_hash,
                created_by=key.created_by,
                created_at=key.created_at,
                expires_at=key.expires_at,
                last_used_at=key.last_used_at,
                revoked_at=key.revoked_at,
            )
        )
        self._session.flush()

    def get_api_key(self, *, tenant_id: str, key_id: str) -> ApiKey | None:
        row = self._session.get(ApiKeyRow, (tenant_id, key_id))
        return _api_key(row) if row is not None else None

    def api_key_by_hash(self, *, tenant_id: str, token_hash: bytes) -> ApiKey | None:
        row = self._session.scalars(
            select(ApiKeyRow).where(
                ApiKeyRow.tenant_id == tenant_id, ApiKeyRow.token_hash == token_hash
            )
        ).one_or_none()
        return _api_key(row) if row is not None else None

    def list_api_keys(self, *, tenant_id: str) -> list[ApiKey]:
        query = (
            select(ApiKeyRow)
            .where(ApiKeyRow.tenant_id == tenant_id)
            .order_by(ApiKeyRow.created_at, ApiKeyRow.id)
        )
        return [_api_key(row) for row in self._session.scalars(query)]

    def revoke_api_key(self, *, tenant_id: str, key_id: str, at: datetime) -> None:
        """Revoke the key at ``at`` unless it already is (the first time stays)."""
        self._session.execute(
            update(ApiKeyRow)
            .where(
                ApiKeyRow.tenant_id == tenant_id,
                ApiKeyRow.id == key_id,
                ApiKeyRow.revoked_at.is_(None),
            )
            .values(revoked_at=at)
        )

    def touch_api_key(self, *, tenant_id: str, key_id: str, now: datetime) -> None:
        """Record that the key was used at ``now`` (the time never moves back)."""
        self._session.execute(
            update(ApiKeyRow)
            .where(
                ApiKeyRow.tenant_id == tenant_id,
                ApiKeyRow.id == key_id,
                or_(ApiKeyRow.last_used_at.is_(None), ApiKeyRow.last_used_at < now),
            )
            .values(last_used_at=now)
        )

    # -- setup tokens ---------------------------------------------------------------

    def add_setup_token(
        self, *, token_id: str, token_hash: bytes, created_at: datetime, expires_at: datetime
    ) -> None:
        self._session.add(
            SetupTokenRow(
                id=token_id,
                token_hash=token_hash,
                created_at=created_at,
                expires_at=expires_at,
                used_at=None,
            )
        )
        self._session.flush()

    def lock_setup_token(self, token_hash: bytes) -> StoredSetupToken | None:
        """The setup token with this hash, locked until the transaction ends."""
        row = self._session.scalars(
            select(SetupTokenRow).where(SetupTokenRow.token_hash == token_hash).with_for_update()
        ).one_or_none()
        if row is None:
            return None
        return StoredSetupToken(
            id=row.id,
            token_hash=row.token_hash,
            created_at=row.created_at,
            expires_at=row.expires_at,
            used_at=row.used_at,
        )

    def spend_setup_token(self, *, token_id: str, at: datetime) -> None:
        self._session.execute(
            update(SetupTokenRow).where(SetupTokenRow.id == token_id).values(used_at=at)
        )
