"""UserService: staff accounts of a tenant, and API keys for integrations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gatepost.domain.ports import Clock
from gatepost.errors import Conflict, NotFound, ValidationFailed
from gatepost.security.passwords import Passwords, check_password_policy
from gatepost.security.permissions import USER_ROLES, Role
from gatepost.security.policy import Principal
from gatepost.security.tokens import TokenKind, hash_token, issue_token
from gatepost.services.audit import AuditRecord, AuditService
from gatepost.services.pages import Page, page_by_id
from gatepost.store.db import Database
from gatepost.store.ids import new_id
from gatepost.store.repositories import accounts as account_repo
from gatepost.store.tables import ApiKey, User

__all__ = ["IssuedApiKey", "UserService"]


@dataclass(frozen=True, repr=False)
class IssuedApiKey:
    key: ApiKey
    token: str

    def __repr__(self) -> str:
        return f"IssuedApiKey(id={self.key.id})"


def _user_role(role: str) -> Role:
    try:
        parsed = Role(role)
    except ValueError as exc:
        raise ValidationFailed(f"unknown role {role!r}", field="role") from exc
    if parsed not in USER_ROLES:
        raise ValidationFailed("the device role is for devices only", field="role")
    return parsed


class UserService:
    def __init__(
        self,
        *,
        db: Database,
        passwords: Passwords,
        clock: Clock,
        audit: AuditService,
        password_min_length: int,
    ) -> None:
        self._db = db
        self._passwords = passwords
        self._clock = clock
        self._audit = audit
        self._min_length = password_min_length

    def create(self, principal: Principal, *, username: str, password: str, role: str) -> User:
        username = username.strip().lower()
        if not 3 <= len(username) <= 120 or any(ch.isspace() for ch in username):
            raise ValidationFailed(
                "username must be 3-120 characters without spaces", field="username"
            )
        parsed_role = _user_role(role)
        check_password_policy(password, min_length=self._min_length, username=username)
        now = self._clock.now()
        with self._db.session() as session:
            if account_repo.user_by_username(
                session, tenant_id=principal.tenant_id, username=username
            ):
                raise Conflict("this username is taken")
            user = User(
                tenant_id=principal.tenant_id,
                id=new_id(),
                username=username,
                password_hash=self._passwords.hash(password),
                role=parsed_role.value,
                platform_admin=False,
                created_at=now,
                password_changed_at=now,
            )
            account_repo.add(session, user)
            self._audit.record(
                session,
                tenant_id=principal.tenant_id,
                record=AuditRecord(
                    actor=principal.actor,
                    action="user.created",
                    target=f"user:{user.id}",
                    details={"role": user.role},
                ),
            )
        return user

    def get(self, principal: Principal, user_id: str) -> User:
        with self._db.session() as session:
            user = account_repo.get_user(session, tenant_id=principal.tenant_id, user_id=user_id)
        if user is None:
            raise NotFound("user")
        return user

    def list(self, principal: Principal, *, limit: int, after: str | None) -> Page[User]:
        with self._db.session() as session:
            rows = account_repo.list_users(
                session, tenant_id=principal.tenant_id, limit=limit + 1, after=after
            )
        return page_by_id(rows, limit)

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
        with self._db.session() as session:
            user = account_repo.get_user(session, tenant_id=principal.tenant_id, user_id=user_id)
            if user is None:
                raise NotFound("user")
            if user.id == principal.id and (disabled or (role and role != user.role)):
                raise Conflict("you cannot disable yourself or change your own role")
            changes: dict[str, str] = {}
            if role is not None:
                user.role = _user_role(role).value
                changes["role"] = user.role
            if require_totp is not None:
                user.totp_enforced = require_totp
                changes["require_totp"] = str(require_totp).lower()
            if disabled is not None:
                user.disabled = disabled
                changes["disabled"] = str(disabled).lower()
                if disabled:
                    account_repo.revoke_sessions(
                        session, tenant_id=user.tenant_id, user_id=user.id, now=now
                    )
            self._audit.record(
                session,
                tenant_id=principal.tenant_id,
                record=AuditRecord(
                    actor=principal.actor,
                    action="user.updated",
                    target=f"user:{user.id}",
                    details=changes,
                ),
            )
        return user

    def create_api_key(self, principal: Principal, *, name: str, role: str) -> IssuedApiKey:
        name = name.strip()
        if not 1 <= len(name) <= 120:
            raise ValidationFailed("name must have 1-120 characters", field="name")
        parsed_role = _user_role(role)
        token = issue_token(TokenKind.API_KEY, principal.tenant_id)
        with self._db.session() as session:
            key = ApiKey(
                tenant_id=principal.tenant_id,
                id=new_id(),
                name=name,
                role=parsed_role.value,
                token_hash=hash_token(token),
                created_by=principal.actor,
                created_at=self._clock.now(),
                last_used_at=None,
                revoked_at=None,
            )
            account_repo.add(session, key)
            self._audit.record(
                session,
                tenant_id=principal.tenant_id,
                record=AuditRecord(
                    actor=principal.actor,
                    action="api_key.created",
                    target=f"api_key:{key.id}",
                    details={"role": key.role},
                ),
            )
        return IssuedApiKey(key=key, token=token)

    def list_api_keys(self, principal: Principal) -> Sequence[ApiKey]:
        with self._db.session() as session:
            return account_repo.list_api_keys(session, tenant_id=principal.tenant_id)

    def revoke_api_key(self, principal: Principal, key_id: str) -> ApiKey:
        with self._db.session() as session:
            key = account_repo.get_api_key(session, tenant_id=principal.tenant_id, key_id=key_id)
            if key is None:
                raise NotFound("api key")
            if key.revoked_at is None:
                key.revoked_at = self._clock.now()
            self._audit.record(
                session,
                tenant_id=principal.tenant_id,
                record=AuditRecord(
                    actor=principal.actor, action="api_key.revoked", target=f"api_key:{key.id}"
                ),
            )
        return key
