"""UserService: staff accounts of a tenant, and API keys for integrations.

Nobody hands out more than they hold: a role is granted (to a new user, a changed
user, an API key or an invitation) only if it is one of
:func:`~gatepost.security.permissions.grantable_roles` of the caller's role
(:func:`grantable_role`), and a user whose role is above the caller's cannot be
changed by them, nor a platform administrator by anyone who is not one. API keys
may expire (``expires_in_days``); ``services.auth`` refuses an expired key exactly
like an unknown one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from gatepost.domain.accounts import ApiKey, User
from gatepost.domain.names import visible_name
from gatepost.domain.ports import Clock
from gatepost.errors import Conflict, NotFound, ValidationFailed
from gatepost.security.password_policy import check_password_policy
from gatepost.security.passwords import Passwords
from gatepost.security.permissions import USER_ROLES, Role, grantable_roles
from gatepost.security.policy import Principal
from gatepost.security.tokens import TokenKind, hash_token, issue_token
from gatepost.services.audit import AuditRecord
from gatepost.services.pages import Page, page_by_id
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.store.ids import new_id

__all__ = [
    "API_KEY_MAX_DAYS",
    "IssuedApiKey",
    "UserService",
    "grantable_role",
    "normalise_username",
    "user_role",
]

API_KEY_MAX_DAYS = 730
"""The longest lifetime an API key may be given (two years); no expiry is allowed too."""


@dataclass(frozen=True, repr=False)
class IssuedApiKey:
    key: ApiKey
    token: str

    def __repr__(self) -> str:
        return f"IssuedApiKey(id={self.key.id})"


def normalise_username(raw: str) -> str:
    """A username as stored (trimmed, lower-case), or ValidationFailed (``username``)."""
    username = raw.strip().lower()
    if not 3 <= len(username) <= 120 or any(_unseen(ch) for ch in username):
        raise ValidationFailed(
            "username must be 3-120 characters without spaces or invisible characters",
            field="username",
        )
    return username


def _unseen(ch: str) -> bool:
    """A space, control or format character (zero-width ones, BOM, bidi marks): none
    has a place in a username, where it would make two names look alike."""
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf")


def user_role(role: str) -> Role:
    """A role a user (or API key) may hold, or ValidationFailed (``role``)."""
    try:
        parsed = Role(role)
    except ValueError as exc:
        raise ValidationFailed(
            "unknown role %(role)r", field="role", params={"role": role}
        ) from exc
    if parsed not in USER_ROLES:
        raise ValidationFailed("the device role is for devices only", field="role")
    return parsed


def grantable_role(principal: Principal, role: str) -> Role:
    """``role`` parsed (:func:`user_role`) if ``principal`` may grant it, else
    ValidationFailed (``role``): nobody grants a role with more than their own."""
    parsed = user_role(role)
    if parsed not in grantable_roles(principal.role):
        raise ValidationFailed("you cannot grant a role above your own", field="role")
    return parsed


def _manageable(principal: Principal, user: User) -> None:
    """Refuse changes to a user whose role is above the caller's, and to a platform
    administrator by anyone who is not one (Conflict): a tenant's administrator holds
    the same role but must not disable, demote or reset the platform's own."""
    if Role(user.role) not in grantable_roles(principal.role):
        raise Conflict("you cannot change a user whose role is above your own")
    if user.platform_admin and not principal.platform_admin:
        raise Conflict("only a platform administrator can change a platform administrator")


def _expiry_days(days: int | None) -> timedelta | None:
    """An API key's lifetime (1 to API_KEY_MAX_DAYS days), or None: it never expires."""
    if days is None:
        return None
    if not 1 <= days <= API_KEY_MAX_DAYS:
        raise ValidationFailed(
            "expiry must be between 1 and %(max)s days",
            field="expires_in_days",
            params={"max": API_KEY_MAX_DAYS},
        )
    return timedelta(days=days)


def _user(uow: UnitOfWork, principal: Principal, user_id: str) -> User:
    """The user in the caller's tenant, or NotFound (never another tenant's)."""
    user = uow.accounts.get_user(tenant_id=principal.tenant_id, user_id=user_id)
    if user is None:
        raise NotFound("user")
    return user


class UserService:
    def __init__(
        self,
        *,
        tx: Transactions,
        passwords: Passwords,
        clock: Clock,
        password_min_length: int,
    ) -> None:
        self._tx = tx
        self._passwords = passwords
        self._clock = clock
        self._min_length = password_min_length

    def create(self, principal: Principal, *, username: str, password: str, role: str) -> User:
        username = normalise_username(username)
        parsed_role = grantable_role(principal, role)
        with self._tx.read() as uow:
            tenant = uow.tenants.get(tenant_id=principal.tenant_id)
        check_password_policy(
            password,
            min_length=self._min_length,
            username=username,
            organisation=(tenant.name, tenant.slug) if tenant else (),
        )
        password_hash = self._passwords.hash(password)
        now = self._clock.now()
        user = User(
            tenant_id=principal.tenant_id,
            id=new_id(),
            username=username,
            role=parsed_role.value,
            created_at=now,
            password_changed_at=now,
        )
        with self._tx.write() as uow:
            if uow.accounts.user_by_username(tenant_id=principal.tenant_id, username=username):
                raise Conflict("this username is taken")
            uow.accounts.add_user(user, password_hash=password_hash)
            uow.audit(
                principal.tenant_id,
                AuditRecord(
                    actor=principal.actor,
                    action="user.created",
                    target=f"user:{user.id}",
                    details={"role": user.role},
                ),
            )
        return user

    def get(self, principal: Principal, user_id: str) -> User:
        with self._tx.read() as uow:
            return _user(uow, principal, user_id)

    def list(self, principal: Principal, *, limit: int, after: str | None) -> Page[User]:
        with self._tx.read() as uow:
            users = uow.accounts.list_users(
                tenant_id=principal.tenant_id, limit=limit + 1, after=after
            )
        return page_by_id(users, limit)

    def update(
        self,
        principal: Principal,
        user_id: str,
        *,
        role: str | None,
        disabled: bool | None,
        require_totp: bool | None = None,
    ) -> User:
        now = self._clock.now()
        tenant_id = principal.tenant_id
        new_role = grantable_role(principal, role).value if role is not None else None
        with self._tx.write() as uow:
            user = _user(uow, principal, user_id)
            if user.id == principal.id and (disabled or (new_role and new_role != user.role)):
                raise Conflict("you cannot disable yourself or change your own role")
            _manageable(principal, user)
            changes: dict[str, str] = {}
            if new_role is not None:
                uow.accounts.set_role(tenant_id=tenant_id, user_id=user.id, role=new_role)
                changes["role"] = new_role
            if require_totp is not None:
                uow.accounts.set_totp_enforced(
                    tenant_id=tenant_id, user_id=user.id, enforced=require_totp
                )
                changes["require_totp"] = str(require_totp).lower()
            if disabled is not None:
                uow.accounts.set_disabled(tenant_id=tenant_id, user_id=user.id, disabled=disabled)
                changes["disabled"] = str(disabled).lower()
                if disabled:
                    uow.accounts.revoke_sessions(tenant_id=tenant_id, user_id=user.id, at=now)
            uow.audit(
                tenant_id,
                AuditRecord(
                    actor=principal.actor,
                    action="user.updated",
                    target=f"user:{user.id}",
                    details=changes,
                ),
            )
            return _user(uow, principal, user_id)

    def reset_two_step(self, principal: Principal, user_id: str) -> User:
        """Turn another user's two-step verification off (their secret is forgotten) and
        sign them out everywhere: for a lost phone. If two-step is required of them,
        their next sign-in may only enrol again."""
        now = self._clock.now()
        tenant_id = principal.tenant_id
        with self._tx.write() as uow:
            user = _user(uow, principal, user_id)
            if user.id == principal.id:
                raise Conflict("you cannot reset your own two-step verification")
            _manageable(principal, user)
            uow.accounts.reset_totp(tenant_id=tenant_id, user_id=user.id)
            uow.accounts.revoke_sessions(tenant_id=tenant_id, user_id=user.id, at=now)
            uow.audit(
                tenant_id,
                AuditRecord(
                    actor=principal.actor,
                    action="user.two_step_reset",
                    target=f"user:{user.id}",
                ),
            )
            return _user(uow, principal, user_id)

    def create_api_key(
        self,
        principal: Principal,
        *,
        name: str,
        role: str,
        expires_in_days: int | None = None,
    ) -> IssuedApiKey:
        name = name.strip()
        if not 1 <= len(name) <= 120:
            raise ValidationFailed("name must have 1-120 characters", field="name")
        visible_name(name)
        parsed_role = grantable_role(principal, role)
        lifetime = _expiry_days(expires_in_days)
        token = issue_token(TokenKind.API_KEY, principal.tenant_id)
        now = self._clock.now()
        key = ApiKey(
            tenant_id=principal.tenant_id,
            id=new_id(),
            name=name,
            role=parsed_role.value,
            created_by=principal.actor,
            created_at=now,
            expires_at=now + lifetime if lifetime is not None else None,
        )
        with self._tx.write() as uow:
            uow.accounts.add_api_key(key, token_hash=hash_token(token))
            uow.audit(
                principal.tenant_id,
                AuditRecord(
                    actor=principal.actor,
                    action="api_key.created",
                    target=f"api_key:{key.id}",
                    details={
                        "role": key.role,
                        "expires_at": key.expires_at.isoformat() if key.expires_at else "",
                    },
                ),
            )
        return IssuedApiKey(key=key, token=token)

    def list_api_keys(self, principal: Principal) -> Sequence[ApiKey]:
        with self._tx.read() as uow:
            return uow.accounts.list_api_keys(tenant_id=principal.tenant_id)

    def revoke_api_key(self, principal: Principal, key_id: str) -> ApiKey:
        now = self._clock.now()
        with self._tx.write() as uow:
            key = uow.accounts.get_api_key(tenant_id=principal.tenant_id, key_id=key_id)
            if key is None:
                raise NotFound("api key")
            if not key.revoked:
                uow.accounts.revoke_api_key(tenant_id=key.tenant_id, key_id=key.id, at=now)
                key = replace(key, revoked_at=now)
            uow.audit(
                principal.tenant_id,
                AuditRecord(
                    actor=principal.actor, action="api_key.revoked", target=f"api_key:{key.id}"
                ),
            )
        return key
