"""Users, sessions, API keys, setup tokens and login throttle rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Update, func, or_, select, update
from sqlalchemy.orm import Session

from gatepost.store.tables import ApiKey, LoginThrottle, SetupToken, User, UserSession

__all__ = [
    "add",
    "admin_exists",
    "api_key_by_hash",
    "get_api_key",
    "get_user",
    "list_api_keys",
    "list_users",
    "platform_tenant_ids",
    "revoke_sessions",
    "session_by_hash",
    "setup_token_by_hash",
    "throttle_row",
    "touch_api_key",
    "touch_session",
    "user_by_username",
]


def add(session: Session, row: User | UserSession | ApiKey | SetupToken | LoginThrottle) -> None:
    session.add(row)
    session.flush()


def get_user(session: Session, *, tenant_id: str, user_id: str) -> User | None:
    return session.get(User, (tenant_id, user_id))


def user_by_username(session: Session, *, tenant_id: str, username: str) -> User | None:
    return session.scalars(
        select(User).where(User.tenant_id == tenant_id, User.username == username)
    ).one_or_none()


def list_users(
    session: Session, *, tenant_id: str, limit: int, after: str | None
) -> Sequence[User]:
    query = select(User).where(User.tenant_id == tenant_id).order_by(User.id).limit(limit)
    if after:
        query = query.where(User.id > after)
    return session.scalars(query).all()


def admin_exists(session: Session) -> bool:
    count = session.scalar(
        select(func.count()).select_from(User).where(User.role == "admin", User.disabled.is_(False))
    )
    return bool(count)


def session_by_hash(session: Session, *, tenant_id: str, token_hash: bytes) -> UserSession | None:
    return session.scalars(
        select(UserSession).where(
            UserSession.tenant_id == tenant_id, UserSession.token_hash == token_hash
        )
    ).one_or_none()


def revoke_sessions(
    session: Session,
    *,
    tenant_id: str,
    user_id: str,
    now: datetime,
    keep: str | None = None,
) -> None:
    query = (
        update(UserSession)
        .where(
            UserSession.tenant_id == tenant_id,
            UserSession.user_id == user_id,
            UserSession.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    if keep is not None:
        query = query.where(UserSession.id != keep)
    session.execute(query)


def touch_session(row: UserSession, *, now: datetime) -> Update:
    """The statement recording that a session was used at ``now`` (never moves back)."""
    return (
        update(UserSession)
        .where(
            UserSession.tenant_id == row.tenant_id,
            UserSession.id == row.id,
            UserSession.last_seen_at < now,
        )
        .values(last_seen_at=now)
    )


def touch_api_key(key: ApiKey, *, now: datetime) -> Update:
    """The statement recording that an API key was used at ``now`` (never moves back)."""
    return (
        update(ApiKey)
        .where(
            ApiKey.tenant_id == key.tenant_id,
            ApiKey.id == key.id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now),
        )
        .values(last_used_at=now)
    )


def api_key_by_hash(session: Session, *, tenant_id: str, token_hash: bytes) -> ApiKey | None:
    return session.scalars(
        select(ApiKey).where(ApiKey.tenant_id == tenant_id, ApiKey.token_hash == token_hash)
    ).one_or_none()


def get_api_key(session: Session, *, tenant_id: str, key_id: str) -> ApiKey | None:
    return session.get(ApiKey, (tenant_id, key_id))


def list_api_keys(session: Session, *, tenant_id: str) -> Sequence[ApiKey]:
    return session.scalars(
        select(ApiKey).where(ApiKey.tenant_id == tenant_id).order_by(ApiKey.created_at)
    ).all()


def setup_token_by_hash(session: Session, token_hash: bytes) -> SetupToken | None:
    return session.scalars(
        select(SetupToken).where(SetupToken.token_hash == token_hash).with_for_update()
    ).one_or_none()


def throttle_row(session: Session, key_hash: bytes) -> LoginThrottle | None:
    return session.get(LoginThrottle, key_hash, with_for_update=True)


def platform_tenant_ids(session: Session) -> list[str]:
    """Tenants whose users include a platform administrator (the operator's own)."""
    rows = session.scalars(
        select(User.tenant_id).where(User.platform_admin.is_(True)).distinct()
    ).all()
    return sorted(rows)
