"""Accounts: staff users, their login sessions, and API keys for integrations.

These are what leaves the account services: no password hash, TOTP secret or token
hash is part of them (those stay in the store's records). ``role`` is the value of a
``gatepost.security.permissions.Role``; the services check it, the domain only
carries it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["ApiKey", "User", "UserSession"]


@dataclass(frozen=True)
class User:
    """A staff account of a tenant."""

    tenant_id: str
    id: str
    username: str
    role: str
    created_at: datetime
    password_changed_at: datetime
    platform_admin: bool = False
    disabled: bool = False
    totp_enabled: bool = False
    totp_enforced: bool = False

    @property
    def totp_pending(self) -> bool:
        """TOTP is required of this user, who has not enrolled yet."""
        return self.totp_enforced and not self.totp_enabled


@dataclass(frozen=True)
class UserSession:
    """A login session of a user (its token is shown once, at login, and never kept)."""

    tenant_id: str
    id: str
    user_id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True)
class ApiKey:
    """An API key of a tenant for an integration (its token is shown once, at creation)."""

    tenant_id: str
    id: str
    name: str
    role: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    expires_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def expired(self, now: datetime) -> bool:
        """Past its expiry (a key without one never expires)."""
        return self.expires_at is not None and now >= self.expires_at
