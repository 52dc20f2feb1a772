"""UserService: staff accounts of a tenant, and API keys for integrations."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

from gatepost.domain.accounts import ApiKey, User
from gatepost.domain.names import visible_name
from gatepost.domain.ports import Clock
from gatepost.errors import Conflict, NotFound, ValidationFailed
from gatepost.security.password_policy import check_password_policy
from gatepost.security.passwords import Passwords
from gatepost.security.permissions import USER_ROLES, Role
from gatepost.security.policy import Principal
from gatepost.security.tokens import TokenKind, hash_token, issue_token
from gatepost.services.audit import AuditRecord
from gatepost.services.pages import Page, page_by_id
from gatepost.services.uow import Transactions, UnitOfWork
from gatepost.store.ids import new_id

__all__ = ["IssuedApiKey", "UserService", "normalise_username", "user_role"]


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
        raise ValidationFailed(f"unknown role {role!r}", field="role") from exc
    if parsed not in USER_ROLES:
        raise ValidationFailed("the device role is for devices only", field="role")
    return parsed


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
        parsed_role = user_role(role)
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
        with self._tx.write() as uow:
            user = _user(uow, principal, user_id)
            if user.id == principal.id and (disabled or (role and role != user.role)):
                raise Conflict("you cannot disable yourself or change your own role")
            changes: dict[str, str] = {}
            if role is not None:
                new_role = user_role(role).value
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

    def create_api_key(self, principal: Principal, *, name: str, role: str) -> IssuedApiKey:
        name = name.strip()
        if not 1 <= len(name) <= 120:
            raise ValidationFailed("name must have 1-120 characters", field="name")
        visible_name(name)
        parsed_role = user_role(role)
        token = issue_token(TokenKind.API_KEY, principal.tenant_id)
        key = ApiKey(
            tenant_id=principal.tenant_id,
            id=new_id(),
            name=name,
            role=parsed_role.value,
            created_by=principal.actor,
            created_at=self._clock.now(),
        )
        with self._tx.write() as uow:
            uow.accounts.add_api_key(key, token_hash=hash_token(token))
            uow.audit(
                principal.tenant_id,
                AuditRecord(
                    actor=principal.actor,
                    action="api_key.created",
                    target=f"api_key:{key.id}",
                    details={"role": key.role},
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
